/**
 * Executes one workflow run and emits Dify's events in Dify's order (as Dify 1.13 streams
 * them). The graph itself is walked by GraphWalk; this owns the run: its start and
 * finish events, the time limit, stopping, and the counters the finish event reports.
 */
import type { KnownWorkflowEvent, WorkflowFinishedData } from '../../protocol/index.js';
import type { WorkflowApp, WorkflowNode } from '../dsl/types.js';
import { EndStream, type WalkProgress } from './end-stream.js';
import { GraphWalk } from './graph-walk.js';
import type { LlmSettings, NodeResult } from './node-context.js';
import { seconds, type NodeExecution } from './node-events.js';
import { isEndNode } from './nodes/end.js';
import type { RunState } from './run-state.js';
import type { Sandbox } from './sandbox/sandbox.js';
import type { StopRace } from './stop-race.js';
import { VariablePool } from './variable-pool.js';

/** Dify's WORKFLOW_MAX_EXECUTION_STEPS and WORKFLOW_MAX_EXECUTION_TIME defaults. */
export const MAX_STEPS = 500;
export const MAX_EXECUTION_SECONDS = 1200;
/** The error of a run the real server's graph engine aborted on a stop (stream: failed; record: stopped). */
export const ABORTED_BY_STOP = 'Aborted: User requested stop';

/** The events a run emits: the protocol's own types, as the HTTP layer sends them. */
export type EngineEvent = Exclude<KnownWorkflowEvent, { event: 'error' | 'tts_message' | 'tts_message_end' }>;

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
  /** The bytes of an upload by id (the document extractor reads local files with it); undefined when unknown. */
  readUpload?: (id: string) => Promise<Uint8Array | undefined>;
  /** Aborted to stop the run at once (server shutdown; the stop API with the flaws off). */
  signal: AbortSignal;
  /** The stop API as the real server takes it (its two mechanisms racing); absent when stops act at once. */
  stop?: StopRace;
  emit: (event: EngineEvent) => void;
  now?: () => number;
}

export async function runGraph(options: RunGraphOptions): Promise<WorkflowFinishedData> {
  return new GraphRun(options).run();
}

class GraphRun implements RunState {
  readonly options: RunGraphOptions;
  readonly app: WorkflowApp;
  readonly runInputs: Record<string, unknown>;
  readonly maxSteps = MAX_STEPS;
  readonly #pool = new VariablePool();
  readonly #running = new Map<string, NodeExecution>();
  readonly #outputs: Record<string, unknown> = {};
  readonly #startedAt: number;
  readonly #endStream: EndStream;
  #steps = 0;
  #totalTokens = 0;
  #exceptions = 0;
  #failure: string | undefined;
  #stopped = false;
  /** The stream saw the stop flag: it ended, nothing more is sent. */
  #cut = false;
  /** The graph engine saw the stop: the node made ready next still starts, then the run aborts. */
  #abort: 'none' | 'next-starts' | 'done' = 'none';
  #halt: () => void = () => {};

  constructor(options: RunGraphOptions) {
    this.options = options;
    this.app = options.app;
    this.#startedAt = this.now();
    const sys = { files: options.files, user_id: options.user, app_id: options.appId, workflow_id: options.app.workflowId, workflow_run_id: options.runId };
    this.#pool.set('sys', sys);
    this.#pool.set('env', options.app.environment);
    this.runInputs = { ...options.inputs };
    for (const [key, value] of Object.entries(sys)) this.runInputs[`sys.${key}`] = value;
    this.#endStream = new EndStream(options.app, this.#pool, (event, data) => this.emit(event, data));
  }

  async run(): Promise<WorkflowFinishedData> {
    const o = this.options;
    this.emit('workflow_started', {
      id: o.runId,
      workflow_id: o.app.workflowId,
      inputs: this.runInputs,
      created_at: seconds(this.#startedAt),
      reason: 'initial',
    });
    const stopped = new Promise<void>((resolve) => {
      this.#halt = resolve;
      if (o.signal.aborted) resolve();
      o.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    o.stop?.onCut(() => {
      this.#cut = true;
      this.#halt();
    });
    // Past the time limit nothing new starts; the nodes already running are waited for.
    const timer = setTimeout(() => (this.#failure ??= `Max execution time ${MAX_EXECUTION_SECONDS}s reached.`), MAX_EXECUTION_SECONDS * 1000);
    const walked = new GraphWalk(this, this.#pool, { iterationId: null, loopId: null }, null).walk(o.app.start).then((failure) => {
      if (failure) this.#failure ??= failure.message;
    });
    await Promise.race([walked, stopped]);
    clearTimeout(timer);
    if ((o.signal.aborted || this.#cut) && this.#running.size > 0) this.#abandonRunningNodes();
    return this.#finish();
  }

  emit(event: string, data: Record<string, unknown>): void {
    if (this.#cut) return; // the real server's run thread dies at its first event after the stream saw the stop
    this.#send(event, data);
    this.options.stop?.eventSent();
  }

  #send(event: string, data: Record<string, unknown>): void {
    // Payloads are built in one place (node-events.ts, end-stream.ts, here) to the protocol's shapes; the fidelity tests check them on the wire.
    this.options.emit({ event, workflow_run_id: this.options.runId, task_id: this.options.taskId, data } as EngineEvent);
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  nextStep(): number | undefined {
    return this.#steps >= MAX_STEPS ? undefined : ++this.#steps;
  }

  halted(): boolean {
    return this.#stopped || this.#cut || this.#abort === 'done' || this.options.signal.aborted || this.#failure !== undefined;
  }

  topLevelNodeFinished(): void {
    if (this.#abort === 'none' && this.options.stop?.engineSeesStop()) this.#abort = 'next-starts';
  }

  abortsAfterStart(): boolean {
    if (this.#abort !== 'next-starts') return false;
    this.#abort = 'done';
    return true;
  }

  track(exec: NodeExecution): void {
    this.#running.set(exec.id, exec);
  }

  untrack(exec: NodeExecution): boolean {
    return this.#running.delete(exec.id);
  }

  addTokens(tokens: number): void {
    this.#totalTokens += tokens;
  }

  noteException(): void {
    this.#exceptions++;
  }

  nodeSucceeded(node: WorkflowNode, result: NodeResult): void {
    if (!isEndNode(node)) return;
    Object.assign(this.#outputs, result.outputs);
  }

  streamsLive(nodeId: string): boolean {
    return this.#endStream.streamsLive(nodeId);
  }

  streamEndOutputs(progress: WalkProgress): void {
    this.#endStream.update(progress);
  }

  #abandonRunningNodes(): void {
    this.#stopped = true;
    // The real server sends no node_finished for the nodes a stop interrupts: workflow_finished follows directly.
    this.#running.clear();
  }

  #finish(): WorkflowFinishedData {
    const o = this.options;
    const finishedAt = this.now();
    const stopped = this.#cut || this.#stopped || o.signal.aborted;
    const aborted = !stopped && this.#abort !== 'none';
    if (aborted) o.stop?.aborted();
    o.stop?.dispose();
    const status = stopped ? 'stopped' : aborted || this.#failure ? 'failed' : this.#exceptions > 0 ? 'partial-succeeded' : 'succeeded';
    const data: WorkflowFinishedData = {
      id: o.runId,
      workflow_id: o.app.workflowId,
      status,
      // An engine abort keeps what End nodes already wrote (an End that finished after the stop, on Dify too).
      outputs: stopped || (this.#failure && !aborted) ? {} : (this.#outputs as WorkflowFinishedData['outputs']),
      error: stopped ? 'Stopped by user.' : aborted ? ABORTED_BY_STOP : (this.#failure ?? null),
      elapsed_time: (finishedAt - this.#startedAt) / 1000,
      total_tokens: this.#totalTokens,
      total_steps: this.#steps,
      created_by: { id: o.endUserId, user: o.user },
      created_at: seconds(this.#startedAt),
      finished_at: seconds(finishedAt),
      exceptions_count: this.#exceptions,
      files: [],
    };
    this.#send('workflow_finished', data as unknown as Record<string, unknown>);
    return data;
  }
}
