/**
 * What a worker knows about each batch it has rows of: the batch record (settings, stop),
 * re-read every second while rows of it are running so a stop reaches every host quickly,
 * one interrupt signal per generation (aborted when the submitter stops the batch), the
 * row-state store, and what this worker learnt from the batch's runs: their latencies (how long
 * recovery waits) and, with --mode auto, the response mode.
 */
import { setMaxListeners } from 'node:events';
import type { Redis } from 'ioredis';
import { StartOrder, type RowOutcome } from '../../batch/index.js';
import { ModeChooser } from '../../batch/schedule/mode-choice.js';
import { RecentLatencies } from '../../batch/schedule/recent-latencies.js';
import { readBatch, stops, type BatchRecord } from '../batch-record.js';
import { keys } from '../keys.js';
import { RedisRowState } from '../row-state.js';

const REFRESH_MS = 1000;

export class WorkerBatch {
  readonly rows: RedisRowState;
  readonly latencies = new RecentLatencies();
  readonly startOrder = new StartOrder();
  mode: ModeChooser;
  active = 0;
  readonly #interrupts = new Map<number, AbortController>();

  constructor(
    redis: Redis,
    public record: BatchRecord,
  ) {
    this.rows = new RedisRowState(redis, record.batchId);
    this.mode = new ModeChooser(record.settings.mode);
  }

  /** Aborts when the batch is interrupted (Ctrl-C at the submitter): in-flight runs are stopped. */
  interruptSignal(generation: number): AbortSignal {
    let controller = this.#interrupts.get(generation);
    if (!controller) {
      controller = new AbortController();
      setMaxListeners(0, controller.signal); // every row in flight listens
      this.#interrupts.set(generation, controller);
    }
    this.#applyStop(generation, controller);
    return controller.signal;
  }

  update(record: BatchRecord): void {
    if (record.generation !== this.record.generation) this.mode = new ModeChooser(record.settings.mode);
    this.record = record;
    for (const [generation, controller] of this.#interrupts) this.#applyStop(generation, controller);
  }

  #applyStop(generation: number, controller: AbortController): void {
    if (this.record.stop?.kind === 'interrupt' && stops(this.record.stop, generation)) controller.abort();
  }

  /** A finished run: for the recovery wait and the mode choice (the local scheduler's rules). */
  observe(outcome: RowOutcome): void {
    const record = outcome.record;
    if (record?.status !== 'success' || record.attempts === 0) return;
    this.latencies.add(record.latency_ms);
    if (record.elapsed_time === null) return;
    this.mode.observe({
      mode: outcome.timing?.mode ?? this.mode.decision.mode,
      startDelayMs: outcome.timing?.startDelayMs,
      elapsedMs: record.elapsed_time * 1000,
    });
  }
}

export class BatchContexts {
  readonly #batches = new Map<string, WorkerBatch>();
  readonly #loading = new Map<string, Promise<WorkerBatch | undefined>>();
  readonly #timer: NodeJS.Timeout;

  /** `subscriber`: a connection of its own, told the moment a batch is stopped. */
  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
    this.#timer = setInterval(() => void this.#refreshActive(), REFRESH_MS);
    this.#timer.unref();
    subscriber.on('message', (_channel: string, batchId: string) => void this.#refresh(batchId));
    void subscriber.subscribe(keys.stops).catch(() => {}); // the periodic re-read still notices
  }

  /** The batch, read again when a job comes from a newer generation than the one known. */
  get(batchId: string, generation: number): Promise<WorkerBatch | undefined> {
    const batch = this.#batches.get(batchId);
    if (batch && batch.record.generation >= generation) return Promise.resolve(batch);
    // Rows of a batch arrive together: they share one read and, above all, one WorkerBatch.
    let loading = this.#loading.get(batchId);
    if (!loading) {
      loading = this.#load(batchId).finally(() => this.#loading.delete(batchId));
      this.#loading.set(batchId, loading);
    }
    return loading;
  }

  async #load(batchId: string): Promise<WorkerBatch | undefined> {
    const record = await readBatch(this.redis, batchId);
    if (!record) return undefined;
    let batch = this.#batches.get(batchId);
    if (batch) batch.update(record);
    else this.#batches.set(batchId, (batch = new WorkerBatch(this.redis, record)));
    return batch;
  }

  close(): void {
    clearInterval(this.#timer);
    this.subscriber.disconnect();
  }

  async #refreshActive(): Promise<void> {
    for (const [batchId, batch] of this.#batches) if (batch.active > 0) await this.#refresh(batchId);
  }

  async #refresh(batchId: string): Promise<void> {
    const batch = this.#batches.get(batchId);
    const record = batch && (await readBatch(this.redis, batchId).catch(() => undefined));
    if (record) batch!.update(record);
  }
}
