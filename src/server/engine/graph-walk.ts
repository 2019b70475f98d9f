/**
 * Walks one level of the graph: the top level of a run, or the inside of one iteration or
 * loop round. A node is ready once every incoming edge is decided and at least one was taken;
 * when all were skipped the node is skipped too (and its edges), so branches not taken emit
 * nothing. Branch nodes pick edges by sourceHandle. Ready nodes run one at a time in the
 * order they became ready, as the real server's single graph worker runs them, so the event
 * order matches; parallel iteration rounds are separate walks and do overlap.
 */
import { randomUUID } from 'node:crypto';
import type { Edge, WorkflowNode } from '../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult, type Scope } from './node-context.js';
import { finishedEvent, nextEvent, retryEvent, startedEvent, type NodeEvent, type NodeExecution, type NodeOutcome } from './node-events.js';
import { nodeKind } from './nodes/registry.js';
import type { RunState } from './run-state.js';
import type { VariablePool } from './variable-pool.js';

export class GraphWalk {
  readonly #incoming = new Map<string, Edge[]>();
  readonly #outgoing = new Map<string, Edge[]>();
  readonly #edgeTaken = new Map<string, boolean>();
  readonly #launched = new Set<string>();
  readonly #skipped = new Set<string>();
  readonly #routed = new Set<string>();
  readonly #ready: WorkflowNode[] = [];
  #failure: NodeError | undefined;

  constructor(
    private readonly run: RunState,
    private readonly pool: VariablePool,
    private readonly scope: Scope,
    /** The container whose inside this walks, or null for the top level. */
    private readonly parentId: string | null,
    /** Where this walk's events go: the run's stream, or a parallel round's buffer. */
    private readonly emitEvent: (event: string, data: Record<string, unknown>) => void = (event, data) => run.emit(event, data),
  ) {
    for (const edge of run.app.edges) {
      if (!this.#inScope(edge.source) || !this.#inScope(edge.target)) continue;
      push(this.#incoming, edge.target, edge);
      push(this.#outgoing, edge.source, edge);
    }
  }

  /** Runs from `start` until nothing more can run; resolves with the first node failure, if any. */
  async walk(start: WorkflowNode): Promise<NodeError | undefined> {
    this.#ready.push(start);
    for (let next = this.#ready.shift(); next; next = this.#ready.shift()) {
      if (this.#failure || this.run.halted()) break;
      if (nodeKind(next.type).passThrough) {
        this.#launched.add(next.id);
        this.#passOn(next);
        continue;
      }
      // total_steps counts the top level only, as the real server's does.
      if (this.parentId === null && !this.run.nextStep()) {
        this.#fail(new NodeError(`Max steps ${this.run.maxSteps} reached.`));
        break;
      }
      try {
        await this.#execute(next);
      } catch (error) {
        this.#fail(error instanceof NodeError ? error : new NodeError(String(error), 'InternalError'));
      }
    }
    return this.#failure;
  }

  /** Top level: whether a node was skipped, and whether a node's outgoing edges are decided. */
  isSkipped(nodeId: string): boolean {
    return this.#skipped.has(nodeId);
  }

  isRouted(nodeId: string): boolean {
    return this.#routed.has(nodeId) || this.#skipped.has(nodeId);
  }

  #inScope(nodeId: string): boolean {
    return (this.run.app.nodes.get(nodeId)?.parentId ?? null) === this.parentId;
  }

  async #execute(node: WorkflowNode): Promise<void> {
    const kind = nodeKind(node.type);
    const exec: NodeExecution = { id: randomUUID(), node, container: kind.container, scope: this.scope, startedAt: this.run.now() };
    const ctx = this.#context(exec);
    this.run.track(exec);
    this.#launched.add(node.id);
    // A container with nothing to go through (an empty list) sends no events at all, as the real server.
    const containerStart = kind.describeStart?.(node, ctx);
    const silent = containerStart === null;
    if (!silent) this.#emit(startedEvent(exec, containerStart));
    // A stop the real server's engine saw: the node made ready next starts, and only a quick one also finishes.
    if (this.parentId === null && this.run.abortsAfterStart() && !kind.quick) return void this.run.untrack(exec);

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
        this.#emit(retryEvent(exec, failedOutcome(error, this.run.now()), attempt + 1));
        await delay(retry?.retry_interval ?? 0);
      }
    }
    if (!this.run.untrack(exec)) return; // the run was stopped meanwhile: no finish event, as on the real server

    if (error) {
      const strategy = node.error_strategy;
      if (strategy !== 'default-value' && strategy !== 'fail-branch') {
        this.#emit(finishedEvent(exec, failedOutcome(error, this.run.now())));
        return this.#fail(error);
      }
      this.run.noteException();
      const fallback: Record<string, unknown> = { error_message: error.message, error_type: error.errorType };
      if (strategy === 'default-value') for (const item of node.default_value ?? []) fallback[item.key] = item.value;
      const outcome: NodeOutcome = { ...failedOutcome(error, this.run.now()), status: 'exception', outputs: fallback };
      return this.#complete(exec, fallback, strategy === 'fail-branch' ? 'fail-branch' : 'source', outcome);
    }

    const done = result!;
    if (done.metadata?.total_tokens) this.run.addTokens(done.metadata.total_tokens);
    this.run.nodeSucceeded(node, done);
    const outcome: NodeOutcome = {
      status: 'succeeded',
      inputs: done.inputs,
      outputs: done.outputs,
      processData: done.processData ?? null,
      metadata: done.metadata ?? null,
      error: null,
      finishedAt: this.run.now(),
      ...(done.steps !== undefined ? { steps: done.steps } : {}),
    };
    this.#complete(exec, done.values ?? done.outputs, done.handle ?? 'source', silent ? undefined : outcome);
  }

  /**
   * The node's values enter the pool and its outgoing edges are decided; End outputs that
   * became available stream before the node's finish event (after it, for containers, as
   * the real server does); then the nodes this made ready are queued.
   */
  #complete(exec: NodeExecution, values: Record<string, unknown>, handle: string, outcome: NodeOutcome | undefined): void {
    const { node } = exec;
    this.pool.set(node.id, values);
    const ready: WorkflowNode[] = [];
    for (const edge of this.#outgoing.get(node.id) ?? []) this.#decide(edge, edge.sourceHandle === handle, ready);
    this.#routed.add(node.id);
    const stream = () => this.parentId === null && this.run.streamEndOutputs(this);
    if (!exec.container) stream();
    if (outcome) this.#emit(finishedEvent(exec, outcome));
    if (exec.container) stream();
    this.#ready.push(...ready);
    if (this.parentId === null) this.run.topLevelNodeFinished();
  }

  #context(exec: NodeExecution): NodeContext {
    const { options } = this.run;
    return {
      pool: this.pool,
      sandbox: options.sandbox,
      llm: options.llm,
      signal: options.signal,
      readUpload: options.readUpload,
      runInputs: this.run.runInputs,
      streamsLive: this.run.streamsLive(exec.node.id),
      streamText: (text) => this.emitEvent('text_chunk', { text, from_variable_selector: [exec.node.id, 'text'] }),
      runInner: async ({ startNodeId, pool, scope, buffered }) => {
        // A parallel round's events are held back and sent together when the round ends, as the real server does.
        const held: [string, Record<string, unknown>][] = [];
        const emit = buffered ? (event: string, data: Record<string, unknown>) => void held.push([event, data]) : this.emitEvent;
        const failure = await new GraphWalk(this.run, pool, scope, exec.node.id, emit).walk(this.run.app.nodes.get(startNodeId)!);
        for (const [event, data] of held) this.emitEvent(event, data);
        if (failure) throw failure;
        if (this.run.halted()) throw new NodeError('Stopped by user.', 'Stopped');
      },
      nextRound: (index, previousOutput) => this.#emit(nextEvent(exec, index, previousOutput)),
      innerNodes: (containerId) => [...this.run.app.nodes.values()].filter((inner) => inner.parentId === containerId),
      nodeId: exec.node.id,
      scope: this.scope,
    };
  }

  /** A node with nothing to do and no events of its own (iteration-start, loop-start): its edges are taken. */
  #passOn(node: WorkflowNode): void {
    const ready: WorkflowNode[] = [];
    for (const edge of this.#outgoing.get(node.id) ?? []) this.#decide(edge, true, ready);
    this.#routed.add(node.id);
    this.#ready.push(...ready);
  }

  #decide(edge: Edge, taken: boolean, ready: WorkflowNode[]): void {
    this.#edgeTaken.set(edge.id, taken);
    const incoming = this.#incoming.get(edge.target) ?? [];
    if (!incoming.every((e) => this.#edgeTaken.has(e.id))) return;
    const target = this.run.app.nodes.get(edge.target)!;
    if (this.#launched.has(target.id) || this.#skipped.has(target.id)) return;
    if (incoming.some((e) => this.#edgeTaken.get(e.id))) {
      ready.push(target);
    } else {
      this.#skipped.add(target.id); // skipped: propagate to everything it leads to
      for (const next of this.#outgoing.get(target.id) ?? []) this.#decide(next, false, ready);
    }
  }

  #fail(error: NodeError): void {
    this.#failure ??= error;
  }

  #emit({ event, data }: NodeEvent): void {
    this.emitEvent(event, data as unknown as Record<string, unknown>);
  }
}

function failedOutcome(error: NodeError, finishedAt: number): NodeOutcome {
  const { inputs = null, outputs = {}, steps, reportedError } = error.partial;
  return { status: 'failed', inputs, outputs, processData: null, error: reportedError ?? error.message, finishedAt, ...(steps !== undefined ? { steps } : {}) };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
