/**
 * The submitter's end of the outcome stream: each outcome is written to the output (synced),
 * counted, and only then acknowledged in Redis and its job removed. Outcomes of rows already
 * recorded (a worker that lost its lease and finished anyway, or an entry read again after
 * the submitter was killed between writing and acknowledging) are acknowledged, not written.
 */
import type { Queue } from 'bullmq';
import type { DurableAppender } from '../../batch/record/durable-appender.js';
import { ROW_FAILED, ROW_SUCCEEDED } from '../../batch/record/ledger.js';
import { outcomeLine, unsentOutcome, type RowError } from '../../batch/record/outcome.js';
import type { DifyClient } from '../../client/client.js';
import type { IdTable } from '../../batch/input/id-table.js';
import type { BatchStats } from '../../batch/report/summary.js';
import type { Progress } from '../../batch/report/progress.js';
import { jobIdFor } from '../keys.js';
import type { OutcomeReader, ReadOutcome } from '../outcome-stream.js';
import type { RowJobData } from '../row-job.js';
import type { Serial } from './serial.js';

const READ_COUNT = 500;

export interface SinkParts {
  reader: OutcomeReader;
  output: DurableAppender;
  /** id → ROW_SUCCEEDED | ROW_FAILED: the ledger, kept current. */
  ledger: IdTable;
  stats: BatchStats;
  progress: Progress;
  queue: Queue<RowJobData>;
  batchId: string;
  serial: Serial;
}

export class OutcomeSink {
  /** Rows queued by this invocation that have no outcome yet. */
  readonly outstanding = new Set<string>();
  /** Rows with an outcome recorded by this invocation: never queued again by it. */
  readonly recorded = new Set<string>();
  /** Rows sent again after an attempt nobody could find: user → since when (for the duplicate audit). */
  readonly unresolved = new Map<string, number>();
  notStarted = 0;
  lastOutcomeAt = Date.now();
  /** Rows whose job the submitter removed after a stop, counted not started until an outcome says otherwise. */
  readonly #takenBack = new Set<string>();
  /** Jobs that could not be removed yet (a worker still holds them). */
  readonly #unremoved = new Set<string>();
  #counting = false;
  #changed: (() => void)[] = [];

  constructor(private readonly parts: SinkParts) {}

  /**
   * Outcomes that arrived while no submitter was listening: written, not counted in this
   * invocation's summary (the input scan that follows sees them as any earlier outcome).
   */
  async catchUp(): Promise<number> {
    let written = 0;
    for (;;) {
      const read = await this.parts.reader.read(READ_COUNT, 0).catch(() => []);
      if (read.length === 0) break;
      written += await this.parts.serial.run(() => this.#handle(read));
      if (read.length < READ_COUNT) break;
    }
    this.#counting = true;
    return written;
  }

  /** Reads and records the outcomes that arrive within `blockMs`; how many were read. */
  async pump(blockMs: number): Promise<number> {
    const read = await this.parts.reader.read(READ_COUNT, blockMs);
    if (read.length > 0) await this.parts.serial.run(() => this.#handle(read));
    return read.length;
  }

  /** Records every outcome already in Redis, without waiting for more. */
  async drain(): Promise<void> {
    while ((await this.pump(0)) > 0);
  }

  /** Resolves at the next recorded outcome or queued row. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#changed.push(resolve));
  }

  notify(): void {
    for (const wake of this.#changed.splice(0)) wake();
  }

  /**
   * After a stop: the row's job was removed from the queue, so no worker will start it. Its job
   * may also have been removed because a worker had just finished it: that outcome, still on its
   * way, then counts instead.
   */
  takeBack(row: string): void {
    if (!this.outstanding.delete(row)) return;
    this.#takenBack.add(row);
    this.notStarted++;
    this.notify();
  }

  /**
   * A row that was never sent (invalid inputs, a file that would not upload): recorded as failed
   * here, once written (no run can be lost; the next sync or the close syncs it, as LedgerWriter
   * does for the batch's unsent rows).
   */
  recordUnsent(id: string, inputs: Record<string, unknown>, error: RowError): Promise<void> {
    const outcome = unsentOutcome(id, inputs, error);
    return this.parts.serial.run(async () => {
      await this.parts.output.appendWritten(outcomeLine(outcome));
      this.parts.ledger.set(id, ROW_FAILED);
      this.recorded.add(id);
      this.parts.stats.record(outcome);
      this.parts.progress.update();
    });
  }

  /** Rows sent again after an attempt nobody could find: count the runs Dify really has for them. */
  async auditDuplicates(client: DifyClient): Promise<void> {
    for (const [user, since] of this.unresolved) {
      try {
        const page = await client.workflows.logs({ endUserSessionId: user, createdAtAfter: new Date(since - 1000), limit: 100 });
        this.parts.stats.duplicateExecutions += Math.max(0, page.data.length - 1);
      } catch {
        // The audit is informational; a failure here must not change the batch's outcome.
      }
    }
  }

  /** Removes the jobs a worker still held when their outcome was recorded; true when none is left. */
  async removeLeftoverJobs(): Promise<boolean> {
    for (const jobId of [...this.#unremoved]) if (await this.#removeJob(jobId)) this.#unremoved.delete(jobId);
    return this.#unremoved.size === 0;
  }

  async #handle(read: ReadOutcome[]): Promise<number> {
    let written = 0;
    const writes: Promise<void>[] = [];
    const finishedJobs: string[] = [];
    for (const { message } of read) {
      if (message.row === '') continue;
      finishedJobs.push(jobIdFor(this.parts.batchId, message.row));
      if (message.kind === 'not-started') {
        if (this.outstanding.delete(message.row)) this.notStarted++;
        continue;
      }
      const { row, outcome } = message;
      if (this.#takenBack.delete(row)) {
        this.notStarted--;
        this.outstanding.add(row);
      }
      const duplicate = this.recorded.has(row) || (!this.outstanding.has(row) && this.parts.ledger.get(row) === ROW_SUCCEEDED);
      this.outstanding.delete(row);
      if (duplicate) continue;
      writes.push(this.parts.output.append(outcomeLine(outcome)));
      written++;
      this.parts.ledger.set(row, outcome.status === 'success' ? ROW_SUCCEEDED : ROW_FAILED);
      if (!this.#counting) continue;
      this.recorded.add(row);
      this.parts.stats.record(outcome);
      if (message.recovered) this.parts.stats.reexecutionsAvoided++;
      this.parts.stats.duplicateExecutions += message.extraRuns ?? 0;
      if (message.ranIn) this.parts.stats.ranIn(message.ranIn);
      if (message.unresolvedSince !== undefined && message.user !== undefined && !this.unresolved.has(message.user))
        this.unresolved.set(message.user, message.unresolvedSince);
    }
    // Durable in the output first; only then may Redis forget them.
    await Promise.all(writes);
    await this.parts.reader.acknowledge(read.map((entry) => entry.streamId));
    await Promise.all(finishedJobs.map(async (jobId) => (await this.#removeJob(jobId)) || this.#unremoved.add(jobId)));
    if (this.#counting) this.lastOutcomeAt = Date.now();
    this.parts.progress.update();
    this.notify();
    return written;
  }

  async #removeJob(jobId: string): Promise<boolean> {
    // 0: locked by a worker that is still finishing it.
    return (await this.parts.queue.remove(jobId).catch(() => 0)) === 1;
  }
}
