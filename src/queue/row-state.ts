/**
 * Where a row's attempt is recorded, in Redis: the queue's counterpart of the local journal.
 * A worker writes the row's user and time before each POST and the run id the moment
 * `workflow_started` arrives; a worker that takes over a row whose worker died reads it and
 * recovers the run instead of posting again. The entry goes when the outcome is written.
 */
import type { Redis } from 'ioredis';
import type { InFlight, RowStateStore } from '../batch/index.js';
import { keys } from './keys.js';

/** KEYS[1] inflight hash. ARGV: row id, JSON fields to merge; a new post moves the old run id to `earlier`. */
const RECORD = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local entry = {}
if current then entry = cjson.decode(current) end
local update = cjson.decode(ARGV[2])
if update.at then
  local earlier = {}
  if type(entry.earlier) == 'table' then for _, id in ipairs(entry.earlier) do table.insert(earlier, id) end end
  if entry.run then table.insert(earlier, entry.run) end
  entry = { user = update.user, at = update.at, earlier = earlier }
else
  if not current then return 0 end
  if update.stop then entry.stop = true else
    entry.run = update.run
    entry.task = update.task
  end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
return 1
`;

interface StoredEntry {
  user: string;
  at: number;
  run?: string;
  task?: string;
  stop?: boolean;
  /** cjson writes an empty list as {}. */
  earlier?: string[] | Record<string, never>;
}

type StateRedis = Redis & { difyrunRowState(key: string, id: string, update: string): Promise<number> };

export class RedisRowState implements RowStateStore {
  readonly #redis: StateRedis;
  readonly #key: string;

  constructor(redis: Redis, batchId: string) {
    if (!('difyrunRowState' in redis)) redis.defineCommand('difyrunRowState', { numberOfKeys: 1, lua: RECORD });
    this.#redis = redis as StateRedis;
    this.#key = keys.inflight(batchId);
  }

  /** Before a POST: this row is being sent for `user` at `at`. */
  async posting(id: string, user: string, at: number): Promise<void> {
    await this.#redis.difyrunRowState(this.#key, id, JSON.stringify({ user, at }));
  }

  /** The run exists: its ids, recorded before the stream is read any further. */
  async started(id: string, runId: string, taskId: string): Promise<void> {
    await this.#redis.difyrunRowState(this.#key, id, JSON.stringify({ run: runId, task: taskId }));
  }

  /** difyrun is about to ask Dify to stop the run (Dify never records stops). */
  async stopping(id: string): Promise<void> {
    await this.#redis.difyrunRowState(this.#key, id, JSON.stringify({ stop: true }));
  }

  /** What an earlier worker left of this row, if it died with the row in flight. */
  async get(id: string): Promise<InFlight | undefined> {
    const text = await this.#redis.hget(this.#key, id);
    return text === null ? undefined : toInFlight(id, JSON.parse(text) as StoredEntry);
  }

  /** Ids of every row with an attempt in flight. */
  ids(): Promise<string[]> {
    return this.#redis.hkeys(this.#key);
  }
}

function toInFlight(id: string, entry: StoredEntry): InFlight {
  return {
    id,
    user: entry.user,
    at: entry.at,
    runId: entry.run,
    taskId: entry.task,
    earlierRunIds: Array.isArray(entry.earlier) ? entry.earlier : [],
    stopRequested: entry.stop === true,
  };
}
