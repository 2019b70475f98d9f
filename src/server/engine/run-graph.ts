/**
 * Executes one workflow run over the graph and emits Dify's events in Dify's order
 * (research/dify-api.md §2.3–2.5).
 *
 * Scheduling: a node runs once every incoming edge is decided and at least one was taken;
 * when all were skipped the node is skipped too (and its edges), so branches not taken emit
 * nothing. Independent branches run concurrently. if-else picks edges by sourceHandle.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject, KnownWorkflowEvent, NodeFinishedData, NodeStatus, WorkflowFinishedData } from '../../protocol/index.js';
import type { Edge, WorkflowApp, WorkflowNode } from '../dsl/types.js';
import { NodeError, type LlmSettings, type NodeContext, type NodeResult } from './node-context.js';
import { runCode } from './nodes/code.js';
import { runEnd } from './nodes/end.js';
import { runIfElse } from './nodes/if-else.js';
import { runLlm } from './nodes/llm.js';
import { runStart } from './nodes/start.js';
import { runTemplate } from './nodes/template-transform.js';
import { runAggregator } from './nodes/variable-aggregator.js';
import type { Sandbox } from './sandbox/sandbox.js';
import { VariablePool } from './variable-pool.js';

/** Dify's WORKFLOW_MAX_EXECUTION_STEPS and WORKFLOW_MAX_EXECUTION_TIME defaults. */
export const MAX_STEPS = 500;
export const MAX_EXECUTION_SECONDS = 1200;

/** The events a run emits: the protocol's own types, so a payload that drifts from the wire shape fails to compile. */
export type EngineEvent = Exclude<KnownWorkflowEvent, { event: 'error' | 'tts_message' | 'tts_message_end' }>;
type EventData<E extends EngineEvent['event']> = Extract<EngineEvent, { event: E }>['data'];

export interface RunGraphOptions {
  app: WorkflowApp;
  appId: string;
  runId: string;
  taskId: string;
  user: string;
  endUserId: string;
  /** Validated inputs. */
  inputs: Record<string, unknown>;
  files: unknown[];
  sandbox: Sandbox;
  llm: LlmSettings;
  /** Aborted by the stop API. */
  signal: AbortSignal;
  emit: (event: EngineEvent) => void;
  now?: () => number;
}

interface EdgeState {
  taken: boolean;
}

export async function runGraph(options: RunGraphOptions): Promise<WorkflowFinishedData> {
  return new GraphRun(options).run();
}

class GraphRun {
  readonly #o: RunGraphOptions;
  readonly #pool = new VariablePool();
  readonly #edgeStates = new Map<string, EdgeState>();
  readonly #incoming = new Map<string, Edge[]>();
  readonly #outgoing = new Map<string, Edge[]>();
  readonly #launched = new Set<string>();
  readonly #liveLlmNodes: Set<string>;
  readonly #running = new Map<string, { execId: string; index: number; predecessor: string | null; startedAt: number }>();
  readonly #outputs: Record<string, unknown> = {};
  readonly #startedAt: number;
  #index = 0;
  #totalTokens = 0;
  #exceptions = 0;
  #failure: string | undefined;
  #stopped = false;
  #active = 0;
  #idle!: () => void;
  #deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RunGraphOptions) {
    this.#o = options;
    this.#startedAt = this.#now();
    for (const edge of options.app.edges) {
      push(this.#incoming, edge.target, edge);
      push(this.#outgoing, edge.source, edge);
    }
    this.#liveLlmNodes = liveStreamedLlmNodes(options.app);
  }

  async run(): Promise<WorkflowFinishedData> {
    const o = this.#o;
    const sys = { files: o.files, user_id: o.user, app_id: o.appId, workflow_id: o.app.workflowId, workflow_run_id: o.runId };
    this.#pool.set('sys', sys);
    this.#pool.set('env', o.app.environment);
    const startValues: Record<string, unknown> = { ...o.inputs };
    for (const [key, value] of Object.entries(sys)) startValues[`sys.${key}`] = value;

    this.#emit('workflow_started', { id: o.runId, workflow_id: o.app.workflowId, inputs: startValues as JsonObject, created_at: seconds(this.#startedAt), reason: 'initial' });

    const stopped = new Promise<void>((resolve) => {
      if (o.signal.aborted) resolve();
      o.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const idle = new Promise<void>((resolve) => (this.#idle = resolve));
    this.#deadline = setTimeout(() => this.#fail(`Max execution time ${MAX_EXECUTION_SECONDS}s reached.`), MAX_EXECUTION_SECONDS * 1000);
    this.#launch(o.app.start, null, startValues);
    await Promise.race([idle, stopped]);
    clearTimeout(this.#deadline);
    if (o.signal.aborted && this.#running.size + this.#active > 0) this.#stopRunningNodes();
    return this.#finish();
  }

  #launch(node: WorkflowNode, predecessor: string | null, startValues?: Record<string, unknown>): void {
    if (this.#launched.has(node.id) || this.#failure || this.#stopped) return;
    if (this.#index >= MAX_STEPS) return this.#fail(`Max steps ${MAX_STEPS} reached.`);
    this.#launched.add(node.id);
    this.#active++;
    void this.#execute(node, predecessor, startValues).finally(() => {
      if (--this.#active === 0) this.#idle();
    });
  }

  async #execute(node: WorkflowNode, predecessor: string | null, startValues?: Record<string, unknown>): Promise<void> {
    const execId = randomUUID();
    const index = ++this.#index;
    const startedAt = this.#now();
    this.#running.set(node.id, { execId, index, predecessor, startedAt });
    const base = { id: execId, node_id: node.id, node_type: node.type, title: node.title, index, predecessor_node_id: predecessor };
    const placement = { created_at: seconds(startedAt), iteration_id: null, loop_id: null };
    this.#emit('node_started', { ...base, inputs: null, inputs_truncated: false, created_at: placement.created_at, extras: {}, iteration_id: null, loop_id: null, agent_strategy: null });

    let result: NodeResult | undefined;
    let error: NodeError | undefined;
    const maxRetries = node.retry_config?.retry_enabled ? Math.max(0, node.retry_config.max_retries ?? 0) : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        result = await this.#runNode(node, startValues);
        error = undefined;
        break;
      } catch (caught) {
        error = caught instanceof NodeError ? caught : new NodeError((caught as Error).message ?? String(caught), 'InternalError');
        if (attempt >= maxRetries || this.#o.signal.aborted) break;
        this.#emit('node_retry', { ...base, ...finishedFields(null, null, 'retry', error.message, startedAt, this.#now(), null), ...placement, retry_index: attempt + 1 });
        await delay(node.retry_config?.retry_interval ?? 0);
      }
    }
    if (!this.#running.has(node.id)) return; // already reported as stopped
    this.#running.delete(node.id);
    const finishedAt = this.#now();

    if (error) {
      const strategy = node.error_strategy;
      if (strategy === 'default-value' || strategy === 'fail-branch') {
        this.#exceptions++;
        const fallback: Record<string, unknown> = { error_message: error.message, error_type: error.errorType };
        if (strategy === 'default-value') for (const item of node.default_value ?? []) fallback[item.key] = item.value;
        this.#pool.set(node.id, fallback);
        this.#emit('node_finished', { ...base, ...finishedFields(null, fallback, 'exception', error.message, startedAt, finishedAt, null), ...placement });
        this.#route(node, strategy === 'fail-branch' ? 'fail-branch' : 'source');
        return;
      }
      this.#emit('node_finished', { ...base, ...finishedFields(null, null, 'failed', error.message, startedAt, finishedAt, null), ...placement });
      this.#fail(error.message);
      return;
    }

    const done = result!;
    this.#pool.set(node.id, done.outputs);
    if (done.metadata?.total_tokens) this.#totalTokens += done.metadata.total_tokens;
    if (node.type === 'end') Object.assign(this.#outputs, done.outputs);
    this.#emit('node_finished', { ...base, ...finishedFields(done.inputs, done.outputs, 'succeeded', null, startedAt, finishedAt, done.processData ?? null, done.metadata ?? null), ...placement });
    this.#route(node, done.handle ?? 'source');
  }

  async #runNode(node: WorkflowNode, startValues?: Record<string, unknown>): Promise<NodeResult> {
    const ctx: NodeContext = {
      pool: this.#pool,
      sandbox: this.#o.sandbox,
      llm: this.#o.llm,
      signal: this.#o.signal,
      streamsLive: this.#liveLlmNodes.has(node.id),
      streamText: (text) => this.#emit('text_chunk', { text, from_variable_selector: [node.id, 'text'] }),
    };
    switch (node.type) {
      case 'start':
        return runStart(node, ctx, startValues ?? {});
      case 'end': {
        const result = runEnd(node, ctx);
        this.#streamEndOutputs(node, result.outputs);
        return result;
      }
      case 'template-transform':
        return runTemplate(node, ctx);
      case 'if-else':
        return runIfElse(node, ctx);
      case 'variable-aggregator':
      case 'variable-assigner':
        return runAggregator(node, ctx);
      case 'code':
        return runCode(node, ctx);
      case 'llm':
        return runLlm(node, ctx);
    }
  }

  /** text_chunk for each End output in order, "\n" between them; falsy values are skipped, live-streamed LLM text is not repeated. */
  #streamEndOutputs(node: Extract<WorkflowNode, { type: 'end' }>, outputs: Record<string, unknown>): void {
    node.outputs.forEach((output, i) => {
      if (i > 0) this.#emit('text_chunk', { text: '\n', from_variable_selector: [node.id, 'output'] });
      const [owner, key] = output.value_selector;
      if (i === 0 && key === 'text' && this.#liveLlmNodes.has(owner!)) return;
      const value = outputs[output.variable];
      if (value === null || value === undefined || value === '' || value === 0 || value === false) return;
      this.#emit('text_chunk', { text: typeof value === 'string' ? value : JSON.stringify(value), from_variable_selector: output.value_selector });
    });
  }

  /** Decides the node's outgoing edges: those with the chosen handle are taken, the rest skipped. */
  #route(node: WorkflowNode, handle: string): void {
    for (const edge of this.#outgoing.get(node.id) ?? []) this.#decide(edge, edge.sourceHandle === handle);
  }

  #decide(edge: Edge, taken: boolean): void {
    this.#edgeStates.set(edge.id, { taken });
    const incoming = this.#incoming.get(edge.target) ?? [];
    if (!incoming.every((e) => this.#edgeStates.has(e.id))) return;
    const target = this.#o.app.nodes.get(edge.target)!;
    if (incoming.some((e) => this.#edgeStates.get(e.id)!.taken)) {
      this.#launch(target, edge.source);
    } else if (!this.#launched.has(target.id)) {
      this.#launched.add(target.id); // skipped: propagate to everything it leads to
      for (const next of this.#outgoing.get(target.id) ?? []) this.#decide(next, false);
    }
  }

  #fail(message: string): void {
    this.#failure ??= message;
  }

  #stopRunningNodes(): void {
    this.#stopped = true;
    const now = this.#now();
    for (const [nodeId, running] of this.#running) {
      const node = this.#o.app.nodes.get(nodeId)!;
      this.#emit('node_finished', {
        id: running.execId, node_id: nodeId, node_type: node.type, title: node.title, index: running.index,
        predecessor_node_id: running.predecessor, ...finishedFields(null, null, 'stopped', 'Stopped by user.', running.startedAt, now, null),
        created_at: seconds(running.startedAt), iteration_id: null, loop_id: null,
      });
    }
    this.#running.clear();
  }

  #finish(): WorkflowFinishedData {
    const o = this.#o;
    const finishedAt = this.#now();
    const status = this.#stopped || o.signal.aborted ? 'stopped' : this.#failure ? 'failed' : this.#exceptions > 0 ? 'partial-succeeded' : 'succeeded';
    const data: WorkflowFinishedData = {
      id: o.runId,
      workflow_id: o.app.workflowId,
      status,
      outputs: status === 'failed' || status === 'stopped' ? {} : (this.#outputs as WorkflowFinishedData['outputs']),
      error: status === 'stopped' ? 'Stopped by user.' : (this.#failure ?? null),
      elapsed_time: (finishedAt - this.#startedAt) / 1000,
      total_tokens: this.#totalTokens,
      total_steps: this.#index,
      created_by: { id: o.endUserId, user: o.user },
      created_at: seconds(this.#startedAt),
      finished_at: seconds(finishedAt),
      exceptions_count: this.#exceptions,
      files: [],
    };
    this.#emit('workflow_finished', data);
    return data;
  }

  #emit<E extends EngineEvent['event']>(event: E, data: EventData<E>): void {
    // TypeScript cannot correlate `event` with `data` across the union; each call site is checked by EventData.
    this.#o.emit({ event, workflow_run_id: this.#o.runId, task_id: this.#o.taskId, data } as EngineEvent);
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }
}

function finishedFields(
  inputs: Record<string, unknown> | null,
  outputs: Record<string, unknown> | null,
  status: NodeStatus,
  error: string | null,
  startedAt: number,
  finishedAt: number,
  processData: Record<string, unknown> | null,
  metadata: NodeFinishedData['execution_metadata'] = null,
): Pick<NodeFinishedData, 'inputs' | 'inputs_truncated' | 'process_data' | 'process_data_truncated' | 'outputs' | 'outputs_truncated' | 'status' | 'error' | 'elapsed_time' | 'execution_metadata' | 'finished_at' | 'files'> {
  return {
    inputs: inputs as JsonObject | null, inputs_truncated: false, process_data: processData as JsonObject | null, process_data_truncated: false, outputs: outputs as JsonObject | null, outputs_truncated: false, status, error,
    elapsed_time: (finishedAt - startedAt) / 1000, execution_metadata: metadata, finished_at: seconds(finishedAt), files: [],
  };
}

/** LLM nodes whose `text` is the first output of an End node: their tokens stream live. */
function liveStreamedLlmNodes(app: WorkflowApp): Set<string> {
  const live = new Set<string>();
  for (const node of app.nodes.values()) {
    if (node.type !== 'end') continue;
    const first = node.outputs[0]?.value_selector;
    if (first && first[1] === 'text' && first.length === 2 && app.nodes.get(first[0]!)?.type === 'llm') live.add(first[0]!);
  }
  return live;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
