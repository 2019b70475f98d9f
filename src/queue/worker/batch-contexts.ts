/**
 * What a worker knows about each batch it has rows of: the batch record (settings, stop),
 * re-read every second while rows of it are running so a stop reaches every host quickly,
 * one interrupt signal per generation (aborted when the submitter stops the batch), and the
 * row-state store.
 */
import type { Redis } from 'ioredis';
import { readBatch, stops, type BatchRecord } from '../batch-record.js';
import { RowStateStore } from '../row-state.js';

const REFRESH_MS = 1000;

export class WorkerBatch {
  readonly rows: RowStateStore;
  active = 0;
  readonly #interrupts = new Map<number, AbortController>();
  readonly #latencies: number[] = [];

  constructor(
    redis: Redis,
    public record: BatchRecord,
  ) {
    this.rows = new RowStateStore(redis, record.batchId);
  }

  /** Aborts when the batch is interrupted (Ctrl-C at the submitter): in-flight runs are stopped. */
  interruptSignal(generation: number): AbortSignal {
    let controller = this.#interrupts.get(generation);
    if (!controller) {
      controller = new AbortController();
      this.#interrupts.set(generation, controller);
    }
    this.#applyStop(generation, controller);
    return controller.signal;
  }

  update(record: BatchRecord): void {
    this.record = record;
    for (const [generation, controller] of this.#interrupts) this.#applyStop(generation, controller);
  }

  #applyStop(generation: number, controller: AbortController): void {
    if (this.record.stop?.kind === 'interrupt' && stops(this.record.stop, generation)) controller.abort();
  }

  /** A run's latency, for how long recovery waits for a run that may still be going. */
  finished(latencyMs: number): void {
    this.#latencies.push(latencyMs);
    if (this.#latencies.length > 200) this.#latencies.shift();
  }

  /** As the local executor: 3× the p95 of recent rows + 5 s within the timeout; a minute before 10 rows are known. */
  recoveryWaitMs(): number {
    const timeout = this.record.settings.timeoutSeconds * 1000;
    if (this.#latencies.length < 10) return Math.min(timeout, 60_000);
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
    return Math.min(timeout, Math.max(5000, 3 * p95 + 5000));
  }
}

export class BatchContexts {
  readonly #batches = new Map<string, WorkerBatch>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly redis: Redis) {
    this.#timer = setInterval(() => void this.#refreshActive(), REFRESH_MS);
    this.#timer.unref();
  }

  /** The batch, read again when a job comes from a newer generation than the one known. */
  async get(batchId: string, generation: number): Promise<WorkerBatch | undefined> {
    let batch = this.#batches.get(batchId);
    if (batch && batch.record.generation >= generation) return batch;
    const record = await readBatch(this.redis, batchId);
    if (!record) return undefined;
    if (batch) batch.update(record);
    else this.#batches.set(batchId, (batch = new WorkerBatch(this.redis, record)));
    return batch;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #refreshActive(): Promise<void> {
    for (const [batchId, batch] of this.#batches) {
      if (batch.active === 0) continue;
      const record = await readBatch(this.redis, batchId).catch(() => undefined);
      if (record) batch.update(record);
    }
  }
}
