/**
 * Walks one level of the graph: the top level of a run, or the inside of one iteration or
 * loop round. A node runs once every incoming edge is decided and at least one was taken;
 * when all were skipped the node is skipped too (and its edges), so branches not taken emit
 * nothing. Independent branches run concurrently. Branch nodes pick edges by sourceHandle.
 */
import { randomUUID } from 'node:crypto';
import type { Edge, WorkflowNode } from '../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult, type Scope } from './node-context.js';
import { finishedEvent, startedEvent, type NodeEvent, type NodeExecution, type NodeOutcome } from './node-events.js';
import { nodeKind } from './nodes/registry.js';
import type { RunState } from './run-state.js';
import type { VariablePool } from './variable-pool.js';

export class GraphWalk {
  readonly #incoming = new Map<string, Edge[]>();
  readonly #outgoing = new Map<string, Edge[]>();
  readonly #edgeTaken = new Map<string, boolean>();
  readonly #launched = new Set<string>();
  #failure: NodeError | undefined;
  #active = 0;
  #idle: () => void = () => {};

  constructor(
    private readonly run: RunState,
    private readonly pool: VariablePool,
    private readonly scope: Scope,
    /** The container whose inside this walks, or null for the top level. */
    private readonly parentId: string | null,
  ) {
    for (const edge of run.app.edges) {
      if (!this.#inScope(edge.source) || !this.#inScope(edge.target)) continue;
      push(this.#incoming, edge.target, edge);
      push(this.#outgoing, edge.source, edge);
    }
  }

  /** Runs from `start` until nothing more can run; resolves with the first node failure, if any. */
  async walk(start: WorkflowNode): Promise<NodeError | undefined> {
    const idle = new Promise<void>((resolve) => (this.#idle = resolve));
    this.#launch(start, null);
    if (this.#active > 0) await idle;
    return this.#failure;
  }

  #inScope(nodeId: string): boolean {
    return (this.run.app.nodes.get(nodeId)?.parentId ?? null) === this.parentId;
  }

  #launch(node: WorkflowNode, predecessor: string | null): void {
    if (this.#launched.has(node.id) || this.#failure || this.run.halted()) return;
    const index = this.run.nextStep();
    if (index === undefined) return this.#fail(new NodeError(`Max steps ${this.run.maxSteps} reached.`));
    this.#launched.add(node.id);
    this.#active++;
    void this.#execute(node, predecessor, index)
      .catch((error: unknown) => this.#fail(error instanceof NodeError ? error : new NodeError(String(error), 'InternalError')))
      .finally(() => {
        if (--this.#active === 0) this.#idle();
      });
  }

  async #execute(node: WorkflowNode, predecessor: string | null, index: number): Promise<void> {
    const kind = nodeKind(node.type);
    const exec: NodeExecution = { id: randomUUID(), node, container: kind.container, scope: this.scope, index, predecessor, startedAt: this.run.now() };
    const ctx = this.#context(exec);
    this.run.track(exec);
    this.#emit(startedEvent(exec, kind.describeStart?.(node, ctx)));

    let result: NodeResult | undefined;
    let error: NodeError | undefined;
    const retry = node.retry_config;
    const maxRetries = retry?.retry_enabled ? Math.max(0, retry.max_retries ?? 0) : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        result = await kind.run(node, ctx);
        error = undefined;
        break;
      } catch (caught) {
        error = caught instanceof NodeError ? caught : new NodeError((caught as Error).message ?? String(caught), 'InternalError');
        if (attempt >= maxRetries || this.run.halted()) break;
        this.#emit(finishedEvent(exec, { ...failedOutcome(error, this.run.now()), status: 'retry' }), { retry_index: attempt + 1 });
        await delay(retry?.retry_interval ?? 0);
      }
    }
    if (!this.run.untrack(exec)) return; // already reported as stopped

    if (error) {
      const strategy = node.error_strategy;
      if (strategy !== 'default-value' && strategy !== 'fail-branch') {
        this.#emit(finishedEvent(exec, failedOutcome(error, this.run.now())));
        return this.#fail(error);
      }
      this.run.noteException();
      const fallback: Record<string, unknown> = { error_message: error.message, error_type: error.errorType };
      if (strategy === 'default-value') for (const item of node.default_value ?? []) fallback[item.key] = item.value;
      this.#produced(node, fallback);
      this.#emit(finishedEvent(exec, { ...failedOutcome(error, this.run.now()), status: 'exception', outputs: fallback }));
      return this.#route(node, strategy === 'fail-branch' ? 'fail-branch' : 'source');
    }

    const done = result!;
    this.#produced(node, done.outputs);
    if (done.metadata?.total_tokens) this.run.addTokens(done.metadata.total_tokens);
    this.run.nodeSucceeded(node, done);
    const outcome: NodeOutcome = {
      status: 'succeeded', inputs: done.inputs, outputs: done.outputs, processData: done.processData ?? null, metadata: done.metadata ?? null,
      error: null, finishedAt: this.run.now(), ...(done.steps !== undefined ? { steps: done.steps } : {}),
    };
    this.#emit(finishedEvent(exec, outcome));
    this.#route(node, done.handle ?? 'source');
  }

  #context(exec: NodeExecution): NodeContext {
    const { options } = this.run;
    return {
      pool: this.pool,
      sandbox: options.sandbox,
      llm: options.llm,
      signal: options.signal,
      runInputs: this.run.runInputs,
      streamsLive: this.run.streamsLive(exec.node.id),
      streamText: (text) => this.run.emit('text_chunk', { text, from_variable_selector: [exec.node.id, 'text'] }),
      runInner: async ({ startNodeId, pool, scope }) => {
        const failure = await new GraphWalk(this.run, pool, scope, exec.node.id).walk(this.run.app.nodes.get(startNodeId)!);
        if (failure) throw failure;
        if (this.run.halted()) throw new NodeError('Stopped by user.', 'Stopped');
      },
      nextRound: (index, extra) => this.run.emitNext(exec, index, extra),
      nodeId: exec.node.id,
      scope: this.scope,
    };
  }

  /** The node's values enter the pool; at the top level the End streaming may move on. */
  #produced(node: WorkflowNode, values: Record<string, unknown>): void {
    this.pool.set(node.id, values);
    if (this.parentId === null) this.run.valuesChanged();
  }

  /** Decides the node's outgoing edges: those with the chosen handle are taken, the rest skipped. */
  #route(node: WorkflowNode, handle: string): void {
    for (const edge of this.#outgoing.get(node.id) ?? []) this.#decide(edge, edge.sourceHandle === handle);
    if (this.parentId === null) this.run.routed(node.id);
  }

  #decide(edge: Edge, taken: boolean): void {
    this.#edgeTaken.set(edge.id, taken);
    const incoming = this.#incoming.get(edge.target) ?? [];
    if (!incoming.every((e) => this.#edgeTaken.has(e.id))) return;
    const target = this.run.app.nodes.get(edge.target)!;
    if (incoming.some((e) => this.#edgeTaken.get(e.id))) {
      this.#launch(target, edge.source);
    } else if (!this.#launched.has(target.id)) {
      this.#launched.add(target.id); // skipped: propagate to everything it leads to
      for (const next of this.#outgoing.get(target.id) ?? []) this.#decide(next, false);
      if (this.parentId === null) this.run.routed(target.id, true);
    }
  }

  #fail(error: NodeError): void {
    this.#failure ??= error;
  }

  #emit([event, data]: NodeEvent, extra?: Record<string, unknown>): void {
    this.run.emit(event, extra ? { ...data, ...extra } : data);
  }
}

function failedOutcome(error: NodeError, finishedAt: number): NodeOutcome {
  return { status: 'failed', inputs: null, outputs: null, processData: null, error: error.message, finishedAt };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
