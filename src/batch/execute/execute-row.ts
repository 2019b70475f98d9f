/**
 * Executes one prepared row against Dify, to an outcome: the row-execution API shared by
 * `difyrun batch` and queue workers (src/queue).
 *
 * Contract:
 * - `row.inputs()` is called at most once, just before the first POST (it uploads local files);
 *   a failure there is the row's `file_upload_failed` outcome.
 * - Before every POST, `store.posting(id, user, at)` is awaited; the moment a stream names its
 *   run, `store.started(id, runId, taskId)` is awaited; before asking Dify to stop a run,
 *   `store.stopping(id)`. Whoever holds the store after a crash passes its entry back as
 *   `row.previous`, and the row is then recovered (reattach, run detail, logs by user) instead
 *   of being sent again. The store is not cleared here: record the outcome, then clear it.
 * - A row is never POSTed again while an earlier attempt may have started a run, unless the
 *   server showed that no such run exists. Errors that provably ran nothing are retried up to
 *   `config.maxRetries` times with the shared backoff; rate-limit refusals up to 30 times.
 * - `signals.stop` (first Ctrl-C, a worker shutting down): nothing new is sent (a row not sent
 *   yet ends with no record); a streaming run already going is stopped through Dify's stop API
 *   and recorded as `stopped`; a blocking request, which Dify cannot stop, is let finish.
 *   `signals.abandon` ends every wait at once: `abandoned` is then true when a request may still
 *   be in flight (keep the store entry and recover the row from it later).
 * - Every wait is bounded by `config.timeoutMs`: response headers, a whole blocking response, a
 *   stream without its first event, and the recovery of a run that may still be going.
 * - Never throws for anything a row can meet; the outcome says what happened. The caller acts
 *   on `stopBatch` (every other row would fail the same way) and records `record`.
 */
import type { DifyClient } from '../../client/client.js';
import { backoffDelayMs } from '../../client/retry-policy.js';
import type { WorkflowInputs } from '../../protocol/index.js';
import { abortableDelay } from '../../util/abortable-delay.js';
import type { InFlight } from '../record/journal.js';
import type { OutcomeRecord, RowError } from '../record/outcome.js';
import { attempt, RowAbandoned, type AttemptIds, type AttemptRequest, type AttemptResult } from './attempt.js';
import { buildOutcome } from './build-outcome.js';
import { classify } from './classify.js';
import { nextStep, type NextStep, type RetryCounts, type RowEvent } from './next-step.js';
import { recoverRun, type Recovery, type RecoveryTarget } from './recover.js';
import type { StartOrder } from './start-watch.js';

export interface PreparedRow {
  id: string;
  /** The `user` sent to Dify; keep it stable per row so recovery can find the row's runs. */
  user: string;
  /** The row as read (including `id`), recorded in the outcome. */
  recordInputs: Record<string, unknown>;
  /** The inputs to send, resolved (files uploaded) once, before the first POST. */
  inputs(): Promise<WorkflowInputs>;
  /** What an earlier process or worker left of this row in flight: it is recovered, not re-run. */
  previous?: InFlight | undefined;
}

/** Where a row's in-flight state is kept so a crash never loses a run (the batch's journal, a queue's store). */
export interface RowStateStore {
  posting(id: string, user: string, at: number): Promise<void>;
  started(id: string, runId: string, taskId: string): Promise<void>;
  stopping(id: string): Promise<void>;
}

export interface RowExecutionConfig {
  mode: 'streaming' | 'blocking';
  workflowId: string | undefined;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  maxRetries: number;
  initialRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** How long recovery waits for a run that may still be going (at most timeoutMs). */
  recoveryWaitMs: number;
}

/** Optional pacing shared by many rows (rate limits, an adaptive window). */
export interface RowPacer {
  /** Resolves when the next attempt may start; rejects when `signal` aborts first. */
  beforeAttempt(signal: AbortSignal): Promise<void>;
  /** How an attempt started at `startedAt` went: `overloaded` when a rate limiter refused it. */
  afterAttempt(result: 'ran' | 'overloaded', startedAt: number, pauseAllMs?: number): void;
  /** Waits out a backoff without holding the row's place among the requests in flight (else the row just waits). */
  waitAside?(ms: number, signal: AbortSignal): Promise<void>;
}

export interface RowSignals {
  stop: AbortSignal;
  abandon?: AbortSignal | undefined;
}

export interface RowExecution {
  client: DifyClient;
  config: RowExecutionConfig;
  signals: RowSignals;
  store: RowStateStore;
  pacer?: RowPacer | undefined;
  /** Shared by the rows of one batch: notices streams the server dropped before starting them. */
  startOrder?: StartOrder | undefined;
  random?: () => number;
}

export interface RowOutcome {
  /** The line to record; undefined when the row was stopped before anything was sent, or abandoned. */
  record: OutcomeRecord | undefined;
  /** A request may still be in flight (a blocking request let go, an earlier process's attempt unsettled): keep the store entry. */
  abandoned: boolean;
  /** Every other row would fail the same way: stop the batch. `cause` is the SDK error. */
  stopBatch?: { kind: 'fatal' | 'quota'; cause: unknown } | undefined;
  /** The outcome came from the server (an earlier attempt's run) instead of a new run. */
  recovered: boolean;
  /** Runs found for the row beyond the one recorded. */
  extraRuns: number;
  /** Sent again after an attempt nobody could find: runs of this user since then may be duplicates. */
  unresolvedSince: number | undefined;
  /** difyrun asked the server to stop this row's run. */
  stopRequested: boolean;
  /** The last attempt's mode and, streaming, the delay from POST to the run's first event. */
  timing: { mode: 'streaming' | 'blocking'; startDelayMs: number | undefined } | undefined;
}

export async function executeRow(row: PreparedRow, run: RowExecution): Promise<RowOutcome> {
  return new RowExecutor(row, run).execute();
}

class RowExecutor {
  readonly #startedAt = Date.now();
  readonly #ids: AttemptIds = { runId: null, taskId: null };
  readonly #knownRunIds: string[];
  readonly #abandon: AbortSignal;
  #attempts = 0;
  #retries = 0;
  #counts: RetryCounts = { transient: 0, overloaded: 0 };
  #lastError: RowError | null = null;
  readonly #outcome: RowOutcome = {
    record: undefined,
    abandoned: false,
    recovered: false,
    extraRuns: 0,
    unresolvedSince: undefined,
    stopRequested: false,
    timing: undefined,
  };

  constructor(
    private readonly row: PreparedRow,
    private readonly run: RowExecution,
  ) {
    this.#knownRunIds = [...(row.previous?.earlierRunIds ?? [])];
    this.#abandon = run.signals.abandon ?? new AbortController().signal;
  }

  async execute(): Promise<RowOutcome> {
    const previous = this.row.previous;
    if (previous) {
      this.#ids.taskId = previous.taskId ?? null;
      // A known run is followed to its end; a logs lookup waits counting from when the earlier attempt was posted.
      const waitMs = previous.runId !== undefined ? this.run.config.recoveryWaitMs : Math.max(0, previous.at + this.run.config.recoveryWaitMs - Date.now());
      const recovery = await this.#recover(
        {
          user: previous.user,
          since: previous.at,
          runId: previous.runId,
          knownRunIds: this.#knownRunIds,
          stopRequested: previous.stopRequested,
          inputs: this.row.recordInputs,
        },
        waitMs,
      );
      if (recovery.kind === 'found') return this.#recovered(recovery);
      if (recovery.kind !== 'absent') return this.#failAfter(this.#step(recoveryEvent(recovery)));
      if (previous.runId === undefined) this.#outcome.unresolvedSince = previous.at;
    }
    const inputs = await this.row.inputs().catch((error: Error) => error);
    if (inputs instanceof Error) return this.#finish(undefined, { code: 'file_upload_failed', message: inputs.message, http_status: null });
    for (;;) {
      if (this.run.signals.stop.aborted) return this.#stoppedBeforeSending();
      try {
        await this.run.pacer?.beforeAttempt(this.run.signals.stop);
      } catch {
        return this.#stoppedBeforeSending();
      }
      const mode = this.run.config.mode;
      const sentAt = Date.now();
      let result: AttemptResult;
      try {
        this.#attempts++;
        await this.run.store.posting(this.row.id, this.row.user, sentAt);
        result = await attempt(this.#request(mode, inputs), this.#ids);
      } catch (error) {
        if (error instanceof RowAbandoned) return { ...this.#outcome, abandoned: true };
        if (this.#outcome.stopRequested) return this.#settleStopped(sentAt);
        const verdict = classify(error);
        this.#lastError = verdict.error;
        if (verdict.kind === 'overloaded') this.run.pacer?.afterAttempt('overloaded', sentAt, verdict.retryAfterMs);
        let step = this.#step({ kind: 'attempt-failed', verdict });
        if (step.do === 'fail' && step.stopBatch) this.#outcome.stopBatch = { kind: step.stopBatch, cause: error };
        if (step.do === 'recover' && (verdict.kind === 'ambiguous' || verdict.kind === 'not-started')) {
          const runId = step.runId;
          const recovery = await this.#recover(
            { user: this.row.user, since: sentAt, runId, knownRunIds: this.#knownRunIds, inputs: this.row.recordInputs },
            step.waitForRun ? this.run.config.recoveryWaitMs : 0,
          );
          if (recovery.kind === 'found') return this.#recovered(recovery);
          step = this.#step(recovery.kind === 'absent' ? { kind: 'run-absent', verdict } : recoveryEvent(recovery));
          if (runId !== undefined) this.#knownRunIds.push(runId);
          else this.#outcome.unresolvedSince ??= sentAt;
        }
        if (step.do === 'fail') return this.#finish(undefined, step.error);
        if (step.do === 'retry' && step.backoff !== undefined) await this.#backoff(step.backoff);
        this.#retries++;
        continue;
      }
      this.run.pacer?.afterAttempt('ran', sentAt);
      this.#outcome.timing = { mode, startDelayMs: result.startDelayMs };
      return this.#finish(result, null);
    }
  }

  #step(event: RowEvent): NextStep {
    const next = nextStep(this.#counts, event, this.run.config.maxRetries);
    this.#counts = next.counts;
    return next.step;
  }

  /** What became of an attempt, asked of the server; `failed` when the server could not say. */
  #recover(target: RecoveryTarget, waitMs: number): Promise<Recovery | { kind: 'failed'; message: string }> {
    const options = { client: this.run.client, waitMs, streamIdleTimeoutMs: this.run.config.streamIdleTimeoutMs, signal: this.#abandon };
    return recoverRun(target, options).catch((error: unknown) => ({
      kind: 'failed' as const,
      message: error instanceof Error ? error.message : String(error),
    }));
  }

  #recovered(recovery: Extract<Recovery, { kind: 'found' }>): RowOutcome {
    this.#outcome.recovered = true;
    this.#outcome.extraRuns += recovery.extraRuns;
    return this.#finish({ result: recovery.result, startDelayMs: undefined, price: { amount: 0, currency: null } }, null);
  }

  #failAfter(step: NextStep): RowOutcome {
    return this.#finish(undefined, step.do === 'fail' ? step.error : (this.#lastError ?? stoppedError()));
  }

  #request(mode: 'streaming' | 'blocking', inputs: WorkflowInputs): AttemptRequest {
    const { client, config, signals, store, startOrder } = this.run;
    return {
      client,
      mode,
      user: this.row.user,
      inputs,
      workflowId: config.workflowId,
      timeoutMs: config.timeoutMs,
      streamIdleTimeoutMs: config.streamIdleTimeoutMs,
      stop: signals.stop,
      abandon: this.#abandon,
      startOrder,
      onStarted: (runId, taskId) => store.started(this.row.id, runId, taskId),
      onStopping: () => {
        this.#outcome.stopRequested = true;
        void store.stopping(this.row.id);
      },
    };
  }

  /** A stream difyrun asked to stop that ended without saying so: what the server knows, else `stopped`. */
  async #settleStopped(sentAt: number): Promise<RowOutcome> {
    if (this.#ids.runId === null) return this.#finish(undefined, stoppedError());
    const recovery = await this.#recover(
      { user: this.row.user, since: sentAt, runId: this.#ids.runId, knownRunIds: this.#knownRunIds, stopRequested: true },
      0,
    );
    return recovery.kind === 'found' ? this.#recovered(recovery) : this.#finish(undefined, stoppedError());
  }

  #stoppedBeforeSending(): RowOutcome {
    // Nothing of this attempt reached the server: the row is left for the next run (its earlier
    // process's entry kept, if it had one), unless an attempt of this run already failed.
    if (this.#lastError === null) return { ...this.#outcome, abandoned: this.row.previous !== undefined };
    return this.#finish(undefined, this.#lastError);
  }

  async #backoff(step: number): Promise<void> {
    const { initialRetryDelayMs, maxRetryDelayMs } = this.run.config;
    const ms = backoffDelayMs(step, { initialMs: initialRetryDelayMs, maxMs: maxRetryDelayMs }, this.run.random);
    const pacer = this.run.pacer;
    await (pacer?.waitAside ? pacer.waitAside(ms, this.run.signals.stop) : abortableDelay(ms, this.run.signals.stop));
  }

  #finish(result: AttemptResult | undefined, error: RowError | null): RowOutcome {
    const tally = {
      attempts: this.#attempts,
      retries: this.#retries,
      runId: this.#ids.runId,
      taskId: this.#ids.taskId,
      price: result?.price,
      stopRequested: this.#outcome.stopRequested,
    };
    this.#outcome.record = buildOutcome(this.row, tally, this.#startedAt, result?.result, error);
    return this.#outcome;
  }
}

function recoveryEvent(recovery: Exclude<Recovery, { kind: 'found' | 'absent' }> | { kind: 'failed'; message: string }): RowEvent {
  return recovery.kind === 'failed'
    ? { kind: 'recovery-failed', message: recovery.message }
    : { kind: 'run-still-running', runId: recovery.runId, waitedMs: recovery.waitedMs };
}

function stoppedError(): RowError {
  return { code: 'stopped', message: 'Stopped by difyrun (Ctrl-C)', http_status: null };
}
