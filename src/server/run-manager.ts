/**
 * Owns the runs in flight: starts a run in the background (it does not depend on any
 * connection, so a client that disconnects does not stop it, as on Dify), fans its events
 * out to subscribers, stops it by task id, and records the outcome in the store.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowFinishedData } from '../protocol/index.js';
import type { WorkflowApp } from './dsl/types.js';
import type { LlmSettings } from './engine/node-context.js';
import { runGraph, type EngineEvent } from './engine/run-graph.js';
import type { Sandbox } from './engine/sandbox/sandbox.js';
import type { RunRecord, RunStore } from './store/types.js';
import { abortableDelay } from '../util/abortable-delay.js';

export interface ActiveRun {
  runId: string;
  taskId: string;
  /** Every event so far, replayed to a client that reattaches. */
  events: EngineEvent[];
  subscribers: Set<(event: EngineEvent) => void>;
  done: Promise<WorkflowFinishedData>;
  controller: AbortController;
}

export interface StartRunOptions {
  user: string;
  inputs: Record<string, unknown>;
  files: unknown[];
  /** Extra latency before the graph runs (fault injection). */
  latencyMs: number;
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
    };
    const record: RunRecord = {
      id: runId, taskId, logId: randomUUID(), workflowId: this.app.workflowId, status: 'running', inputs: sysInputs,
      outputs: null, error: null, elapsedTime: 0, totalTokens: 0, totalSteps: 0, exceptionsCount: 0,
      createdAt: Math.floor(now / 1000), finishedAt: null, user: options.user, endUserId, createdAtMs: now,
    };
    this.store.putRun(record);

    const active: ActiveRun = { runId, taskId, events: [], subscribers: new Set(), controller, done: undefined as unknown as Promise<WorkflowFinishedData> };
    const emit = (event: EngineEvent) => {
      active.events.push(event);
      for (const subscriber of active.subscribers) subscriber(event);
    };
    active.done = (async () => {
      try {
        if (options.latencyMs > 0) await abortableDelay(options.latencyMs, controller.signal);
        const finished = await runGraph({
          app: this.app, appId: this.appId, runId, taskId, user: options.user, endUserId, inputs: options.inputs,
          files: options.files, sandbox: this.sandbox, llm: this.llm, signal: controller.signal, emit,
        });
        this.store.putRun({
          ...record,
          status: finished.status,
          outputs: finished.outputs ?? {},
          error: finished.error,
          elapsedTime: finished.elapsed_time,
          totalTokens: finished.total_tokens,
          totalSteps: finished.total_steps,
          exceptionsCount: finished.exceptions_count ?? 0,
          finishedAt: finished.finished_at,
        });
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
    this.#byTask.get(taskId)?.controller.abort();
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
