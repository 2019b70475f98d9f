/**
 * A worker's service of one app: a BullMQ worker on the app's queue, the Dify client made
 * with this host's key for it, and the app's shared window and rate gate. Each job is one row:
 * skipped when its outcome already exists, left unstarted when its batch was stopped,
 * recovered when an earlier worker died with it in flight, else run.
 */
import { createNodeFetch } from '../../node/http-fetch.js';
import { Worker, type Job } from 'bullmq';
import { DifyClient } from '../../client/client.js';
import { unsentOutcome } from '../../batch/index.js';
import { describeError } from '../../client/describe-error.js';
import { stopBatch, stops } from '../batch-record.js';
import { isConnectionError, type QueueConnection } from '../connection.js';
import { keys, PREFIX, type AppRef } from '../keys.js';
import { GlobalRateGate } from '../limits/global-rate-gate.js';
import { GlobalWindow } from '../limits/global-window.js';
import { isDone, publishOutcome } from '../outcome-stream.js';
import { appQueue, type RowJobData } from '../row-job.js';
import type { BatchContexts } from './batch-contexts.js';
import { executeQueuedRow, type AppServices } from './execute-row.js';

export interface WorkerShared {
  connection: QueueConnection;
  contexts: BatchContexts;
  hardStop: AbortSignal;
  log(message: string): void;
}

export interface WorkerTuning {
  /** Rows this process runs at once for this app. */
  concurrency: number;
  /** How long a dead worker's rows wait before another worker takes them over. */
  leaseMs: number;
}

export class AppRunner {
  succeeded = 0;
  failed = 0;
  /** Rows running in this process now. */
  active = 0;
  readonly #worker: Worker<RowJobData, string>;
  readonly #services: AppServices;
  /** Rows in flight here, by job id: aborted when this worker must let go of one. */
  readonly #held = new Map<string, AbortController>();
  readonly #queue;

  constructor(
    readonly app: AppRef,
    apiKey: string,
    private readonly shared: WorkerShared,
    tuning: WorkerTuning,
  ) {
    const redis = shared.connection.redis;
    this.#queue = appQueue(redis, app.appId);
    this.#services = {
      client: new DifyClient({ apiKey, baseURL: app.baseURL, maxRetries: 3, fetch: createNodeFetch() }),
      window: new GlobalWindow(
        redis,
        app.appId,
        (limit) => this.#queue.setGlobalConcurrency(limit),
        (limit) => shared.log(`${app.baseURL}: Dify said too many requests; the app's concurrency is lowered to ${limit} on every worker`),
      ),
      gate: new GlobalRateGate(redis, app.appId),
    };
    this.#worker = new Worker<RowJobData, string>(keys.queueName(app.appId), (job) => this.#process(job), {
      connection: shared.connection.duplicate(),
      prefix: PREFIX,
      concurrency: tuning.concurrency,
      lockDuration: tuning.leaseMs,
      stalledInterval: Math.max(500, Math.round(tuning.leaseMs / 2)),
      // Handing a row over is always safe (it is recovered, not re-posted): never give up on it.
      maxStalledCount: 1000,
    });
    this.#worker.on('failed', (job, error) => void this.#onJobFailed(job, error));
    // The lease ran out (this process was stalled): another worker takes the row over.
    this.#worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) this.#held.get(jobId)?.abort();
      shared.log(`lost the lease on ${jobIds.length} row(s) (this process did not renew it in time); other workers take them over`);
    });
    this.#worker.on('error', (error) => {
      // What follows a lost lease (said above), a row settled elsewhere or a Redis outage (the
      // connection says so once) is not news.
      if (isConnectionError(error) || /Missing lock|Lock mismatch|could not renew lock|Missing key for job/.test(error.message)) return;
      shared.log(`${app.baseURL}: queue error: ${error.message}`);
    });
  }

  /** Stops taking rows and waits for those in flight (`force`: leave them to other workers). */
  async close(force = false): Promise<void> {
    await this.#worker.close(force);
    await this.#queue.close();
  }

  async #process(job: Job<RowJobData>): Promise<string> {
    const row = job.data;
    const redis = this.shared.connection.redis;
    const batch = await this.shared.contexts.get(row.b, row.g);
    if (!batch) return 'batch-gone';
    const [done, previous] = await Promise.all([isDone(redis, row.b, row.id, row.g), batch.rows.get(row.id)]);
    if (done) return 'done-earlier';
    if (!previous && stops(batch.record.stop, row.g)) {
      await publishOutcome(redis, row.b, { kind: 'not-started', row: row.id, generation: row.g });
      return 'not-started';
    }
    const letGo = new AbortController();
    this.#held.set(job.id!, letGo);
    const onHardStop = () => letGo.abort();
    this.shared.hardStop.addEventListener('abort', onHardStop, { once: true });
    batch.active++;
    this.active++;
    try {
      const outcome = await executeQueuedRow({ app: this.#services, batch, row, previous, letGo: letGo.signal });
      // Another worker holds the row now and settles it; this one's view of it no longer counts.
      if (letGo.signal.aborted) return 'let-go';
      if (outcome.stopBatch) {
        const reason = describeError(outcome.stopBatch.cause, this.app.baseURL);
        this.shared.log(`batch ${batch.record.label}: stopping (${reason})`);
        await stopBatch(redis, row.b, { kind: outcome.stopBatch.kind, reason, generation: row.g });
      }
      if (outcome.record === undefined) {
        // Nothing was sent: the batch stopped first. Or a request may still be out there: leave
        // the row in flight and try the job again later, which recovers it.
        if (outcome.abandoned) throw new Error('the row was let go with a request in flight; it is recovered on the next attempt');
        await publishOutcome(redis, row.b, { kind: 'not-started', row: row.id, generation: row.g });
        return 'not-started';
      }
      await publishOutcome(redis, row.b, {
        kind: 'done',
        row: row.id,
        generation: row.g,
        outcome: outcome.record,
        recovered: outcome.recovered,
        extraRuns: outcome.extraRuns,
        unresolvedSince: outcome.unresolvedSince,
        user: row.user,
        ranIn: outcome.timing?.mode,
      });
      if (outcome.record.status === 'success') this.succeeded++;
      else this.failed++;
      return outcome.record.status;
    } finally {
      this.shared.hardStop.removeEventListener('abort', onHardStop);
      this.#held.delete(job.id!);
      batch.active--;
      this.active--;
    }
  }

  /** Out of job attempts (Redis or this worker kept failing): the row is reported failed, its in-flight record kept for recovery. */
  async #onJobFailed(job: Job<RowJobData> | undefined, error: Error): Promise<void> {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const row = job.data;
    this.shared.log(`row ${row.id}: gave up after ${job.attemptsMade} attempts: ${error.message}`);
    const outcome = unsentOutcome(row.id, row.record, {
      code: 'worker_error',
      message: `The worker could not finish the row: ${error.message}`,
      http_status: null,
    });
    await publishOutcome(this.shared.connection.redis, row.b, { kind: 'done', row: row.id, generation: row.g, outcome }, { keepInFlight: true }).catch(
      () => {},
    );
  }
}
