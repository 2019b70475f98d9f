/**
 * While a queued batch runs, the submitter keeps collecting outcomes and watches the batch:
 * a stop set by a worker (auth or quota error) or by Ctrl-C here ends the queueing, takes back
 * the rows no worker has started, and lets the rows in flight finish (Ctrl-C: stopped on the
 * server by their workers). It also says so when no live worker holds the app's key.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { readBatch, stopBatch, stops, type StopKind } from '../batch-record.js';
import { jobIdFor, keys, type AppRef } from '../keys.js';
import type { RowJobData } from '../row-job.js';
import type { WorkerPresence } from '../worker/run-worker.js';
import type { OutcomeSink } from './outcome-sink.js';
import type { RowFeeder } from './row-feeder.js';
import type { Serial } from './serial.js';

const WATCH_MS = 1000;
/** No outcome for this long with rows queued: check that some worker can run them. */
const QUIET_MS = 10_000;
/** A worker that has not announced itself for this long is gone. */
const PRESENCE_MS = 15_000;

export interface WatchParts {
  redis: Redis;
  batchId: string;
  generation: number;
  app: AppRef;
  sink: OutcomeSink;
  feeder: RowFeeder;
  queue: Queue<RowJobData>;
  serial: Serial;
  interrupt: AbortSignal;
  log(message: string): void;
}

export class BatchWatch {
  stopReason: string | undefined;
  stopKind: StopKind | undefined;
  #closed = false;
  #finished = false;
  readonly #pumping: Promise<void>;
  readonly #timer: NodeJS.Timeout;
  #noticeAt = 0;

  constructor(private readonly parts: WatchParts) {
    this.#pumping = this.#pump();
    void this.#checkWorkers().catch(() => {});
    this.#timer = setInterval(() => void this.#check().catch(() => {}), WATCH_MS);
    parts.interrupt.addEventListener(
      'abort',
      () => {
        const reason = 'interrupted (Ctrl-C): in-flight runs were stopped; run the same command again to resume';
        void stopBatch(parts.redis, parts.batchId, { kind: 'interrupt', reason, generation: parts.generation }).then(() => this.#check());
      },
      { once: true },
    );
  }

  /**
   * Resolves when every queued row has its outcome (or was taken back after a stop), with the
   * stop known: the last outcomes can arrive before the periodic check has seen the stop that
   * caused them, so the batch is read once more. Workers set a stop before they publish the
   * outcomes that follow from it, so that read finds it.
   */
  async finished(): Promise<void> {
    const { sink } = this.parts;
    while (sink.outstanding.size > 0) await sink.changed();
    await this.#check();
    await sink.removeLeftoverJobs();
    this.#finished = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return this.#pumping;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#pumping;
    // A job taken back after a stop may be one a worker had just finished: its outcome is in
    // Redis already (a worker publishes it before the job completes) and counts instead.
    if (this.#finished) await this.parts.sink.drain();
  }

  async #pump(): Promise<void> {
    while (!this.#closed) {
      try {
        await this.parts.sink.pump(WATCH_MS);
      } catch (error) {
        if (!this.#closed) this.parts.log(`cannot read outcomes from Redis (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
      }
    }
  }

  async #check(): Promise<void> {
    const record = await readBatch(this.parts.redis, this.parts.batchId);
    if (this.stopKind === undefined && record?.stop && stops(record.stop, this.parts.generation)) await this.#stop(record.stop.kind, record.stop.reason);
    const { sink } = this.parts;
    if (sink.outstanding.size > 0 && Date.now() - sink.lastOutcomeAt > QUIET_MS && Date.now() > this.#noticeAt) await this.#checkWorkers();
  }

  /** Queue nothing more; rows no worker has started are taken back (not started), the others finish. */
  async #stop(kind: StopKind, reason: string): Promise<void> {
    this.stopKind = kind;
    this.stopReason = reason;
    this.parts.feeder.stopped = true;
    if (kind !== 'interrupt') this.parts.log(`Stopping: ${reason}`);
    const { sink, queue, batchId } = this.parts;
    await this.parts.serial.run(async () => {
      for (const row of [...sink.outstanding]) {
        // 1: removed (no worker held it); 0: a worker is running it.
        if ((await queue.remove(jobIdFor(batchId, row))) === 1) sink.takeBack(row);
      }
    });
  }

  /** Says so when no live worker can run this app's rows. */
  async #checkWorkers(): Promise<void> {
    this.#noticeAt = Date.now() + 3 * QUIET_MS;
    const workers = Object.values(await this.parts.redis.hgetall(keys.workers)).map((text) => JSON.parse(text) as WorkerPresence);
    const live = workers.filter((worker) => Date.now() - worker.seenAt < PRESENCE_MS);
    const able = live.filter((worker) => worker.keyFingerprints.includes(this.parts.app.keyFingerprint));
    if (able.length > 0) return;
    this.parts.log(
      `Waiting for a worker: ${live.length === 0 ? 'no worker is running' : `${live.length} worker(s) running, none with this app's key (fingerprint ${this.parts.app.keyFingerprint})`}.` +
        ` Start one with the app's key in its environment: DIFY_API_KEY=… difyrun worker --queue <the same URL>`,
    );
  }
}
