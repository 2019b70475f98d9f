/**
 * Owns the runs in flight: starts a run in the background (it does not depend on any
 * connection, so a client that disconnects does not stop it, as on Dify), fans its events
 * out to subscribers, stops it by task id, and records the outcome in the store.
 *
 * Stops reach a run as on Dify 1.13.2 (engine/stop-race.ts): one that the graph engine sees
 * first ends the stream `failed` and is recorded `stopped`; one that the stream sees first ends
 * it `stopped` and the store keeps the run `running` for good. With `recordStops` (the flaws
 * off) a stop acts at once and is recorded `stopped`.
 */
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { WorkflowFinishedData } from '../protocol/index.js';
import type { WorkflowApp } from './dsl/types.js';
import type { LlmSettings } from './engine/node-context.js';
import { runGraph, type EngineEvent } from './engine/run-graph.js';
import { STOP_FLAG_CACHE_MS, StopRace } from './engine/stop-race.js';
import type { Sandbox } from './engine/sandbox/sandbox.js';
import type { RunRecord, RunStore } from './store/types.js';
import { abortableDelay } from '../util/abortable-delay.js';
import { runFields } from './wire.js';

export interface ActiveRun {
  runId: string;
  taskId: string;
  /** Every event so far, replayed to a client that reattaches. */
  events: EngineEvent[];
  subscribers: Set<(event: EngineEvent) => void>;
  done: Promise<WorkflowFinishedData>;
  controller: AbortController;
  /** How the stop API reaches the run when the flaws are on. */
  stopRace: StopRace;
}

export interface StartRunOptions {
  user: string;
  inputs: Record<string, unknown>;
  files: unknown[];
  /**
   * The latency fault: the graph starts no sooner than this (Date.now() time), which is
   * the request's arrival plus the latency, so the server's own work on the request (reading
   * the body, the checks) is part of the latency instead of added to it.
   */
  startAt?: number | undefined;
}

export class RunManager {
  readonly #active = new Map<string, ActiveRun>();
  readonly #byTask = new Map<string, ActiveRun>();
  /** Runs actually executed since start: tests compare it with what the client sent. */
  executedRuns = 0;

  constructor(
    private readonly app: WorkflowApp,
    private readonly appId: string,
    private readonly store: RunStore,
    private readonly sandbox: Sandbox,
    private readonly llm: LlmSettings,
    /** Stops act at once and are recorded `stopped` (the flaws off); else as on Dify. */
    private readonly recordStops = false,
    /** The stop flag cache of Dify's stream (engine/stop-race.ts). */
    private readonly stopFlagCacheMs = STOP_FLAG_CACHE_MS,
  ) {}

  get activeCount(): number {
    return this.#active.size;
  }

  start(options: StartRunOptions): ActiveRun {
    this.executedRuns++;
    const runId = randomUUID();
    const taskId = randomUUID();
    const endUserId = this.store.endUserId(options.user);
    const controller = new AbortController();
    const now = Date.now();
    const sysInputs = {
      ...options.inputs,
      'sys.files': options.files,
      'sys.user_id': options.user,
      'sys.app_id': this.appId,
      'sys.workflow_id': this.app.workflowId,
      'sys.workflow_run_id': runId,
      'sys.timestamp': Math.floor(now / 1000),
    };
    const record: RunRecord = {
      id: runId,
      workflow_id: this.app.workflowId,
      status: 'running',
      outputs: null,
      error: null,
      elapsed_time: 0,
      total_tokens: 0,
      total_steps: 0,
      created_at: Math.floor(now / 1000),
      finished_at: null,
      exceptions_count: 0,
      taskId,
      logId: randomUUID(),
      inputs: sysInputs,
      user: options.user,
      endUserId,
      createdAtMs: now,
    };
    this.store.putRun(record);

    const stopRace = new StopRace(this.stopFlagCacheMs);
    const active: ActiveRun = {
      runId,
      taskId,
      events: [],
      subscribers: new Set(),
      controller,
      stopRace,
      done: undefined as unknown as Promise<WorkflowFinishedData>,
    };
    const emit = (event: EngineEvent) => {
      active.events.push(event);
      for (const subscriber of active.subscribers) subscriber(event);
    };
    active.done = (async () => {
      try {
        if (options.startAt !== undefined) await waitUntil(options.startAt, controller.signal);
        const finished = await runGraph({
          app: this.app,
          appId: this.appId,
          runId,
          taskId,
          user: options.user,
          endUserId,
          inputs: options.inputs,
          files: options.files,
          sandbox: this.sandbox,
          llm: this.llm,
          signal: controller.signal,
          ...(this.recordStops ? {} : { stop: stopRace }),
          emit,
          readUpload: async (id) => {
            const upload = this.store.getUpload(id);
            if (!upload) return undefined;
            return upload.bytes instanceof Uint8Array ? upload.bytes : readFile(upload.bytes.path);
          },
        });
        // The node a cut stream left running is dropped (on Dify it runs on unseen, its result lost).
        if (stopRace.outcome === 'cut') controller.abort();
        if (finished.status === 'stopped' && !this.recordStops) this.store.putRun({ ...record, stoppedAtMs: Date.now() });
        else {
          const stored = stopRace.outcome === 'aborted' ? { ...finished, status: 'stopped' as const } : finished;
          this.store.putRun({ ...record, ...runFields(stored), outputs: stored.outputs ?? {}, exceptions_count: stored.exceptions_count ?? 0 });
        }
        return finished;
      } finally {
        this.#active.delete(runId);
        this.#byTask.delete(taskId);
      }
    })();
    this.#active.set(runId, active);
    this.#byTask.set(taskId, active);
    return active;
  }

  /** Stops a run by task id; unknown or finished tasks are ignored (Dify answers success anyway). */
  stop(taskId: string): void {
    const run = this.#byTask.get(taskId);
    if (this.recordStops) run?.controller.abort();
    else run?.stopRace.request();
  }

  get(runId: string): ActiveRun | undefined {
    return this.#active.get(runId);
  }

  /** Stops every run and waits for them (server shutdown). */
  async stopAll(): Promise<void> {
    const runs = [...this.#active.values()];
    for (const run of runs) run.controller.abort();
    await Promise.allSettled(runs.map((run) => run.done));
  }
}

/**
 * Resolves once the clock (Date.now()) reaches `time`, or at once on abort. A timer counts from the
 * event loop's cached clock, which lags while a callback runs, so it can fire early: the rest is
 * waited out again.
 */
async function waitUntil(time: number, signal: AbortSignal): Promise<void> {
  for (let left = time - Date.now(); left > 0 && !signal.aborted; left = time - Date.now()) await abortableDelay(Math.ceil(left), signal);
}
