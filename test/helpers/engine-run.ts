/**
 * Runs a workflow on the engine directly (no HTTP): the graph is given as plain node data and
 * edges, chained start → … when edges are omitted; returns every event and the finish data.
 */
import { parseWorkflow } from '../../src/server/dsl/load.js';
import { runGraph, type EngineEvent } from '../../src/server/engine/run-graph.js';
import type { Sandbox } from '../../src/server/engine/sandbox/sandbox.js';
import type { WorkflowFinishedData } from '../../src/protocol/index.js';

export interface EngineRun {
  events: EngineEvent[];
  finished: WorkflowFinishedData;
  /** The node_finished data of one node. */
  finishedOf(nodeId: string): Record<string, unknown>;
}

type Edge = [source: string, target: string, handle?: string];

export async function runNodes(nodes: Record<string, unknown>[], inputs: Record<string, unknown> = {}, edges?: Edge[]): Promise<EngineRun> {
  const ids = nodes.map((n) => String(n['id']));
  const links: Edge[] = edges ?? ids.slice(1).map((id, i) => [ids[i]!, id]);
  const dsl = {
    app: { mode: 'workflow', name: 'engine-test' },
    kind: 'app',
    version: '0.6.0',
    workflow: {
      graph: {
        nodes: nodes.map(({ id, ...data }) => ({ id, data: { title: String(id), ...data } })),
        edges: links.map(([source, target, handle = 'source'], i) => ({ id: `e${i}`, source, target, sourceHandle: handle, targetHandle: 'target' })),
      },
    },
  };
  const events: EngineEvent[] = [];
  const finished = await runGraph({
    app: parseWorkflow(JSON.stringify(dsl), 'test'),
    appId: 'app',
    runId: 'run',
    taskId: 'task',
    user: 'u',
    endUserId: 'eu',
    inputs,
    files: [],
    sandbox: {} as Sandbox,
    llm: { tokensPerSecond: 0, pricePer1kTokens: 0, currency: 'USD' },
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
  });
  const finishedOf = (nodeId: string) => {
    const found = events.find((e) => e.event === 'node_finished' && e.data.node_id === nodeId);
    if (!found) throw new Error(`no node_finished for ${nodeId}`);
    return found.data as unknown as Record<string, unknown>;
  };
  return { events, finished, finishedOf };
}

/** A start node with optional text inputs of these names. */
export function start(...names: string[]): Record<string, unknown> {
  return { id: 'start', type: 'start', variables: names.map((variable) => ({ variable, label: variable, type: 'text-input', required: false })) };
}

export function end(outputs: Record<string, string[]>): Record<string, unknown> {
  return { id: 'end', type: 'end', outputs: Object.entries(outputs).map(([variable, value_selector]) => ({ variable, value_selector })) };
}
