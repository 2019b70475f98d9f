/**
 * The app's concurrency window, shared by every worker: the same AIMD rule as the local
 * executor's AdaptiveWindow (halve when ≥ 20% of the last 20 answers were "too many requests",
 * only for requests started after the previous decrease; grow by 1/limit per success), kept
 * in one Redis hash so that all workers shrink and grow one window, as Dify's cap is one cap.
 *
 * The window is enforced by BullMQ's global concurrency on the app's queue: a job holds a slot
 * while it is active, and a worker that dies gives its slots back when its locks expire.
 */
import type { Redis } from 'ioredis';
import { keys } from '../keys.js';

const RECENT = 20;
const REFUSALS_TO_SHRINK = 4; // 20% of RECENT

/** KEYS[1] window hash. ARGV: 0 = success | 1 = refusal, startedAt (ms). Returns floor(limit). */
const UPDATE = `
local max = tonumber(redis.call('HGET', KEYS[1], 'max'))
if not max then return -1 end
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit')) or max
local recent = (redis.call('HGET', KEYS[1], 'recent') or '') .. ARGV[1]
if #recent > ${RECENT} then recent = string.sub(recent, -${RECENT}) end
if ARGV[1] == '0' then
  if limit < max then limit = math.min(max, limit + 1 / limit) end
else
  local last = tonumber(redis.call('HGET', KEYS[1], 'lastDecrease')) or 0
  local _, refusals = string.gsub(recent, '1', '')
  if tonumber(ARGV[2]) >= last and refusals >= ${REFUSALS_TO_SHRINK} then
    local t = redis.call('TIME')
    redis.call('HSET', KEYS[1], 'lastDecrease', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
    recent = ''
    limit = math.max(1, math.floor(limit / 2))
  end
end
redis.call('HSET', KEYS[1], 'limit', tostring(limit), 'recent', recent)
return math.floor(limit)
`;

type WindowRedis = Redis & { difyrunWindow(key: string, kind: string, startedAt: number): Promise<number> };

export class GlobalWindow {
  readonly #redis: WindowRedis;
  readonly #key: string;
  #applied: number | undefined;
  /** Redis's clock minus this host's: decreases are timed on Redis's clock, attempts on this host's. */
  #clockOffset: Promise<number>;

  /** `apply` sets the enforced cap (BullMQ's global concurrency) when the shared limit changed. */
  constructor(
    redis: Redis,
    appId: string,
    private readonly apply: (limit: number) => Promise<unknown>,
    private readonly onShrunk: (limit: number) => void = () => {},
  ) {
    if (!('difyrunWindow' in redis)) redis.defineCommand('difyrunWindow', { numberOfKeys: 1, lua: UPDATE });
    this.#redis = redis as WindowRedis;
    this.#key = keys.window(appId);
    const asked = Date.now();
    this.#clockOffset = redis.time().then(
      ([seconds, micros]) => Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Math.round((asked + Date.now()) / 2),
      () => 0,
    );
  }

  /** The submitter sets the app's maximum and starts the window there (as a new local batch does). */
  static async reset(redis: Redis, appId: string, max: number): Promise<void> {
    await redis.hset(keys.window(appId), { max, limit: max, recent: '', lastDecrease: 0 });
  }

  onSuccess(): void {
    this.#track(this.#update('0', 0));
  }

  /** A request started at `startedAt` was refused by Dify's rate limiter. */
  onOverloaded(startedAt: number): void {
    this.#track(this.#update('1', startedAt));
  }

  /** Resolves when every answer reported so far is in the shared window. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  readonly #pending = new Set<Promise<void>>();
  #track(update: Promise<void>): void {
    this.#pending.add(update);
    void update.finally(() => this.#pending.delete(update));
  }

  async #update(kind: '0' | '1', startedAt: number): Promise<void> {
    try {
      const limit = await this.#redis.difyrunWindow(this.#key, kind, startedAt + (await this.#clockOffset));
      if (limit < 1 || limit === this.#applied) return;
      const shrunk = this.#applied !== undefined && limit < this.#applied;
      this.#applied = limit;
      await this.apply(limit);
      if (shrunk) this.onShrunk(limit);
    } catch {
      // Redis unreachable: the cap stays where it was until the next answer.
    }
  }
}
