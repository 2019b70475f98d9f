/**
 * The one place node event payloads are built: node_started / node_finished / node_retry,
 * and for containers iteration_* / loop_*.
 */
import type { WorkflowNode } from '../dsl/types.js';
import type { Scope } from './node-context.js';

/** One execution of one node, from its start event to its finish event. */
export interface NodeExecution {
  id: string;
  node: WorkflowNode;
  container: 'iteration' | 'loop' | undefined;
  scope: Scope;
  startedAt: number;
}

export interface NodeOutcome {
  status: 'succeeded' | 'failed' | 'exception' | 'stopped' | 'retry';
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  processData?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
  error: string | null;
  finishedAt: number;
  /** Containers only. */
  steps?: number;
}

export type NodeEvent = [event: string, data: Record<string, unknown>];

/** Container events carry the node id as their id, as the real server's do. */
function identity(exec: NodeExecution): Record<string, unknown> {
  return { id: exec.container ? exec.node.id : exec.id, node_id: exec.node.id, node_type: exec.node.type, title: exec.node.title };
}

export function startedEvent(exec: NodeExecution, containerStart?: { inputs: Record<string, unknown>; metadata: Record<string, unknown> }): NodeEvent {
  if (exec.container) {
    return [`${exec.container}_started`, { ...identity(exec), created_at: seconds(exec.startedAt), extras: {}, metadata: containerStart?.metadata ?? {}, inputs: containerStart?.inputs ?? {}, inputs_truncated: false }];
  }
  return [
    'node_started',
    {
      // Dify 1.13's graph engine no longer numbers nodes: index is always 1, predecessor_node_id null.
      ...identity(exec), index: 1, predecessor_node_id: null, inputs: null, inputs_truncated: false, created_at: seconds(exec.startedAt),
      extras: {}, iteration_id: exec.scope.iterationId, loop_id: exec.scope.loopId, agent_strategy: null,
    },
  ];
}

export function nextEvent(exec: NodeExecution, index: number, extra: Record<string, unknown> = {}): NodeEvent {
  return [`${exec.container ?? 'iteration'}_next`, { ...identity(exec), index, created_at: seconds(Date.now()), ...extra, extras: {} }];
}

export function finishedEvent(exec: NodeExecution, outcome: NodeOutcome): NodeEvent {
  const elapsed = (outcome.finishedAt - exec.startedAt) / 1000;
  if (exec.container && outcome.status !== 'retry') {
    return [
      `${exec.container}_completed`,
      {
        ...identity(exec), outputs: outcome.outputs, outputs_truncated: false, created_at: seconds(exec.startedAt), extras: {}, inputs: outcome.inputs, inputs_truncated: false,
        // A failed container reports error null here; the inner node's error fails the run.
        status: outcome.status, error: outcome.status === 'failed' ? null : outcome.error, elapsed_time: elapsed, total_tokens: Number(outcome.metadata?.['total_tokens'] ?? 0),
        execution_metadata: outcome.metadata ?? {}, finished_at: seconds(outcome.finishedAt), steps: outcome.steps ?? 0,
      },
    ];
  }
  const [, started] = startedEvent(exec);
  return [
    outcome.status === 'retry' ? 'node_retry' : 'node_finished',
    {
      ...started, inputs: outcome.inputs, process_data: outcome.processData ?? null, process_data_truncated: false, outputs: outcome.outputs, outputs_truncated: false,
      status: outcome.status, error: outcome.error, elapsed_time: elapsed, execution_metadata: outcome.metadata ?? null, finished_at: seconds(outcome.finishedAt), files: [],
    },
  ];
}

export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
