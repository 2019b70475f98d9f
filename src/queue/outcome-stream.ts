/**
 * Outcomes travel from workers to the submitter through a Redis stream per batch. A worker
 * adds the outcome and clears the row's in-flight entry in one transaction; the submitter
 * reads with a consumer group, writes the lines to the output, syncs, and only then
 * acknowledges and deletes them. A submitter killed in between reads the same entries again
 * (its pending list) when it is started again, so nothing is lost while it is away.
 */
import type { Redis } from 'ioredis';
import type { OutcomeRecord } from '../batch/index.js';
import { keys } from './keys.js';

export type OutcomeMessage =
  | {
      kind: 'done';
      row: string;
      generation: number;
      outcome: OutcomeRecord;
      /** The outcome came from an earlier attempt's run, recovered instead of run again. */
      recovered?: boolean;
      /** Runs found for the row beyond the one recorded. */
      extraRuns?: number;
      /** Sent again after an attempt nobody could find, since then (ms): for the duplicate audit. */
      unresolvedSince?: number | undefined;
      /** The row's Dify user (for that audit). */
      user?: string;
      /** The mode of the attempt that ran. */
      ranIn?: 'streaming' | 'blocking' | undefined;
    }
  /** The batch was stopped before this row started. */
  | { kind: 'not-started'; row: string; generation: number };

const GROUP = 'submitter';
const CONSUMER = 'submitter';

/**
 * Worker side, atomically: the outcome, the row marked done for its generation (a job handed
 * to another worker after this is skipped, not run again) and, unless `keepInFlight` (the
 * worker gave up without knowing what became of the run), the row no longer in flight.
 */
export async function publishOutcome(redis: Redis, batchId: string, message: OutcomeMessage, options: { keepInFlight?: boolean } = {}): Promise<void> {
  const transaction = redis.multi().xadd(keys.outcomes(batchId), '*', 'm', JSON.stringify(message)).hset(keys.done(batchId), message.row, message.generation);
  if (!options.keepInFlight) transaction.hdel(keys.inflight(batchId), message.row);
  await transaction.exec().then(failOnError);
}

/** Whether an outcome of this row was already published in `generation` (or later). */
export async function isDone(redis: Redis, batchId: string, row: string, generation: number): Promise<boolean> {
  const done = await redis.hget(keys.done(batchId), row);
  return done !== null && Number(done) >= generation;
}

export interface ReadOutcome {
  streamId: string;
  message: OutcomeMessage;
}

/** Submitter side. */
export class OutcomeReader {
  #pendingFirst = true;

  constructor(
    private readonly redis: Redis,
    private readonly batchId: string,
  ) {}

  async open(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', keys.outcomes(this.batchId), GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  /**
   * The next outcomes: first those a killed submitter read but never acknowledged, then new
   * ones, waiting up to `blockMs` for some to arrive.
   */
  async read(count: number, blockMs: number): Promise<ReadOutcome[]> {
    const key = keys.outcomes(this.batchId);
    if (this.#pendingFirst) {
      const pending = parse(await this.redis.xreadgroup('GROUP', GROUP, CONSUMER, 'COUNT', count, 'STREAMS', key, '0'));
      if (pending.length > 0) return pending;
      this.#pendingFirst = false;
    }
    // BLOCK 0 would wait forever: without a wait, ask once.
    if (blockMs <= 0) return parse(await this.redis.xreadgroup('GROUP', GROUP, CONSUMER, 'COUNT', count, 'STREAMS', key, '>'));
    return parse(await this.redis.xreadgroup('GROUP', GROUP, CONSUMER, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, '>'));
  }

  close(): void {
    this.redis.disconnect();
  }

  /** The outcomes are in the output file: Redis may forget them. */
  async acknowledge(streamIds: string[]): Promise<void> {
    if (streamIds.length === 0) return;
    const key = keys.outcomes(this.batchId);
    await this.redis
      .multi()
      .xack(key, GROUP, ...streamIds)
      .xdel(key, ...streamIds)
      .exec()
      .then(failOnError);
  }
}

type StreamReply = [string, [string, string[]][]][] | null;

function parse(reply: unknown): ReadOutcome[] {
  const streams = reply as StreamReply;
  if (!streams) return [];
  const read: ReadOutcome[] = [];
  for (const [, entries] of streams) {
    for (const [streamId, fields] of entries) {
      // An entry deleted after being delivered comes back with no fields: nothing to do but ack it.
      const text = fields?.[1];
      read.push({ streamId, message: text === undefined ? { kind: 'not-started', row: '', generation: -1 } : (JSON.parse(text) as OutcomeMessage) });
    }
  }
  return read;
}

function failOnError(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([error]) => error !== null);
  if (failed) throw failed[0];
  if (results === null) throw new Error('Redis transaction was discarded');
}
