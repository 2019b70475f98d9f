/**
 * Puts rows into flight and records each outcome as it lands. It is the one owner of the
 * batch's moving state: pacing (window and gate), the stop state, the response mode, and the
 * rows in flight. Rows report back only through the outcome executeRow returns.
 */
import type { DifyClient } from '../../client/client.js';
import { describeError } from '../../client/describe-error.js';
import { abortableDelay } from '../../util/abortable-delay.js';
import type { BatchConfig } from '../config.js';
import { executeRow, type PreparedRow, type RowOutcome } from '../execute/execute-row.js';
import { StartOrder } from '../execute/start-watch.js';
import type { InputRow } from '../input/read-rows.js';
import type { FileUploader } from '../prepare/file-inputs.js';
import type { RowPreparer } from '../prepare/row-preparer.js';
import type { InFlight, Journal } from '../record/journal.js';
import type { LedgerWriter } from '../record/ledger.js';
import { unsentOutcome, type OutcomeRecord } from '../record/outcome.js';
import type { Progress } from '../report/progress.js';
import type { BatchStats } from '../report/summary.js';
import { ModeChooser, type ModeDecision } from './mode-choice.js';
import { Pacing } from './pacing.js';
import { RecentLatencies } from './recent-latencies.js';
import { rowUser } from '../execute/row-user.js';

export type StopKind = 'fatal' | 'quota' | 'interrupt';

export interface SchedulerDeps {
  config: BatchConfig;
  client: DifyClient;
  /** First Ctrl-C: stop scheduling, stop in-flight runs. */
  interrupt: AbortSignal;
  /** Second Ctrl-C: give up on everything now. */
  hardStop: AbortSignal;
  preparer: RowPreparer;
  uploader: FileUploader;
  journal: Journal;
  ledger: LedgerWriter;
  stats: BatchStats;
  progress: Progress;
}

/** How scheduling ended, for the summary and the exit code. */
export interface SchedulerResult {
  stop: { kind: StopKind; reason: string } | undefined;
  /** Rows left in the journal (a request may still be in flight): recovered on the next run. */
  abandoned: number;
  /** Streaming runs difyrun asked the server to stop. */
  stoppedRuns: number;
  /** Rows in flight at Ctrl-C that finished on their own (blocking requests cannot be stopped). */
  finishedAfterInterrupt: number;
  mode: ModeDecision;
  /** Rows sent again after an attempt nobody found: user → since when (checked for duplicates). */
  unresolved: Map<string, number>;
}

export class RowScheduler {
  readonly #deps: SchedulerDeps;
  readonly #pacing: Pacing;
  readonly #mode: ModeChooser;
  readonly #latencies = new RecentLatencies();
  readonly #startOrder = new StartOrder();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #unresolved = new Map<string, number>();
  #stop: { kind: StopKind; reason: string } | undefined;
  #abandoned = 0;
  #stoppedRuns = 0;
  #finishedAfterInterrupt = 0;
  #starts = 0;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    const { config, progress } = deps;
    this.#mode = new ModeChooser(config.mode);
    let told = false;
    this.#pacing = new Pacing({
      concurrency: config.concurrency,
      rpm: config.rpm,
      minSpacingMs: config.waitSeconds * 1000,
      onLowered: (limit) => {
        if (!config.quiet && !told) progress.log(`Server said too many requests: concurrency lowered to ${limit}`);
        told = true;
      },
    });
    deps.interrupt.addEventListener('abort', () => {
      this.#halt('interrupt', 'interrupted (Ctrl-C)', { announce: false });
      this.#pacing.wakeAll();
    });
  }

  /** Whether scheduling has stopped (Ctrl-C, an app error, quota). */
  get stopped(): boolean {
    return this.#stop !== undefined;
  }

  /** Rows in flight now (for the progress line). */
  get inFlight(): number {
    return this.#pacing.inFlight;
  }

  /** Starts a row once a slot is free; resolves when it is in flight (not when it ends). */
  async schedule(row: InputRow, previous: InFlight | undefined): Promise<void> {
    const { config, preparer, uploader } = this.#deps;
    const prepared = preparer.prepare(row);
    const recordInputs = { id: row.id, ...row.values };
    if (!prepared.ok && !previous) {
      await this.#record(invalidRow(row.id, recordInputs, `column "${prepared.column}": ${prepared.message}`), { unsent: true });
      return;
    }
    await this.#pacing.takeSlot();
    // The first window of rows starts staggered, not all at once: rows that start together
    // finish together, and then each waits for the others' responses to be handled (without the
    // 1 ms steps, batch-scheduling fell from 0.929 to 0.870, p99 287 -> 425 ms; BENCHMARKS.md).
    if (this.#starts++ > 0 && this.#starts <= config.concurrency) await abortableDelay(1, this.#deps.hardStop);
    if (this.#stop !== undefined && !previous) {
      this.#pacing.giveBackSlot();
      return;
    }
    this.#deps.stats.rowSent();
    const job: PreparedRow = {
      id: row.id,
      user: config.user ?? previous?.user ?? rowUser(row.id),
      recordInputs,
      inputs: () => (prepared.ok ? preparer.resolveFiles(prepared.inputs, uploader) : Promise.reject(new Error(prepared.message))),
      previous,
    };
    const task = this.#run(job).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  /** Waits for every row in flight, then says how scheduling ended. */
  async finish(): Promise<SchedulerResult> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
    return {
      stop: this.#stop,
      abandoned: this.#abandoned,
      stoppedRuns: this.#stoppedRuns,
      finishedAfterInterrupt: this.#finishedAfterInterrupt,
      mode: this.#mode.decision,
      unresolved: this.#unresolved,
    };
  }

  async #run(job: PreparedRow): Promise<void> {
    const { config, client, journal, interrupt, hardStop } = this.#deps;
    const mode = this.#mode.decision.mode;
    let released = false;
    const release = () => {
      if (!released) this.#pacing.giveBackSlot();
      released = true;
    };
    try {
      const outcome = await executeRow(job, {
        client,
        config: {
          mode,
          workflowId: config.workflowId,
          timeoutMs: config.timeoutSeconds * 1000,
          // --timeout bounds every wait, a silent stream's too.
          streamIdleTimeoutMs: Math.min(config.streamIdleTimeoutSeconds, config.timeoutSeconds) * 1000,
          maxRetries: config.maxRetries,
          initialRetryDelayMs: config.initialRetryDelaySeconds * 1000,
          maxRetryDelayMs: config.maxRetryDelaySeconds * 1000,
          recoveryWaitMs: this.#latencies.recoveryWaitMs(config.timeoutSeconds * 1000),
        },
        signals: { stop: interrupt, abandon: hardStop },
        store: journal,
        pacer: this.#pacing,
        startOrder: this.#startOrder,
      });
      // The next row may start while this outcome is being synced: the journal covers a crash meanwhile.
      release();
      await this.#settle(job, outcome);
    } catch (error) {
      // Not an outcome (the disk failed, a bug): keep its journal entry so the next run recovers it.
      this.#abandoned++;
      this.#deps.progress.log(`row ${job.id}: ${describeError(error, client.baseURL)}`);
    } finally {
      release();
    }
  }

  async #settle(job: PreparedRow, outcome: RowOutcome): Promise<void> {
    const { stats, client } = this.#deps;
    // A stop can lose the race with the run's end: a run that succeeded anyway was not stopped.
    const stopped = outcome.stopRequested && outcome.record?.status !== 'success';
    if (stopped) this.#stoppedRuns++;
    if (outcome.stopBatch?.kind === 'fatal') this.#halt('fatal', describeError(outcome.stopBatch.cause, client.baseURL));
    if (outcome.stopBatch?.kind === 'quota') {
      this.#halt(
        'quota',
        `quota exhausted (${outcome.record?.error?.message ?? 'rate_limit_error'}); in-flight rows were finished, unstarted rows were not run`,
      );
    }
    if (outcome.recovered) stats.reexecutionsAvoided++;
    stats.duplicateExecutions += outcome.extraRuns;
    if (outcome.unresolvedSince !== undefined && !this.#unresolved.has(job.user)) this.#unresolved.set(job.user, outcome.unresolvedSince);
    if (outcome.record === undefined) {
      if (outcome.abandoned) this.#abandoned++;
      return;
    }
    if (outcome.timing) stats.ranIn(outcome.timing.mode);
    if (this.#deps.interrupt.aborted && !stopped && outcome.record.attempts > 0) this.#finishedAfterInterrupt++;
    await this.#record(outcome.record);
    this.#observe(outcome, outcome.record);
  }

  /** Feeds a finished run to the mode choice and the recovery wait. */
  #observe(outcome: RowOutcome, record: OutcomeRecord): void {
    if (record.status !== 'success' || record.attempts === 0) return;
    this.#latencies.add(record.latency_ms);
    if (record.elapsed_time === null) return;
    const changed = this.#mode.observe({
      mode: outcome.timing?.mode ?? this.#mode.decision.mode,
      startDelayMs: outcome.timing?.startDelayMs,
      elapsedMs: record.elapsed_time * 1000,
    });
    if (changed && !this.#deps.config.quiet) this.#deps.progress.log(`Mode: ${changed.reason.replace(/^auto: /, '')}`);
  }

  async #record(record: OutcomeRecord, options: { unsent?: boolean } = {}): Promise<void> {
    const written = await this.#deps.ledger.append(record, options);
    this.#deps.stats.record(written);
    this.#deps.progress.update();
  }

  /** Stops scheduling. `announce: false` when the caller already told the user (Ctrl-C). */
  #halt(kind: StopKind, reason: string, options = { announce: true }): void {
    if (this.#stop !== undefined) return;
    this.#stop = { kind, reason };
    if (options.announce) this.#deps.progress.log(`Stopping: ${reason}`);
  }
}

function invalidRow(id: string, inputs: Record<string, unknown>, message: string): OutcomeRecord {
  return unsentOutcome(id, inputs, { code: 'invalid_input', message, http_status: null });
}
