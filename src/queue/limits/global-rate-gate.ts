/**
 * The app's request pacing, shared by every worker: the local RateGate's rules (an rpm token
 * bucket with a burst of rpm/60, a minimum spacing between starts for --wait, and a pause that
 * a 429's Retry-After sets for everyone) in one Redis hash, on Redis's clock so that hosts
 * whose clocks differ still share one minute.
 */
import type { Redis } from 'ioredis';
import { abortableDelay } from '../../util/abortable-delay.js';
import { keys } from '../keys.js';

/** KEYS[1] rate hash. ARGV[1] 'take' | 'pause', ARGV[2] pause ms. Returns ms to wait (0: taken). */
const GATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'rpm', 'spacing', 'tokens', 'ts', 'next', 'paused')
local paused = tonumber(s[6]) or 0
if ARGV[1] == 'pause' then
  redis.call('HSET', KEYS[1], 'paused', math.max(paused, now + tonumber(ARGV[2])))
  return 0
end
local rpm = tonumber(s[1]) or 0
local spacing = tonumber(s[2]) or 0
local wait = math.max(0, paused - now, (tonumber(s[5]) or 0) - now)
local tokens = 0
if rpm > 0 then
  local capacity = math.max(1, math.floor(rpm / 60))
  local perMs = rpm / 60000
  tokens = tonumber(s[3]) or capacity
  tokens = math.min(capacity, tokens + (now - (tonumber(s[4]) or now)) * perMs)
  if tokens < 1 then wait = math.max(wait, math.ceil((1 - tokens) / perMs)) end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
end
if wait > 0 then return wait end
if rpm > 0 then redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1)) end
if spacing > 0 then redis.call('HSET', KEYS[1], 'next', now + spacing) end
return 0
`;

type GateRedis = Redis & { difyrunGate(key: string, op: string, pauseMs: number): Promise<number> };

export interface PacingSettings {
  rpm: number | undefined;
  minSpacingMs: number;
}

export class GlobalRateGate {
  readonly #redis: GateRedis;
  readonly #key: string;

  constructor(redis: Redis, appId: string) {
    if (!('difyrunGate' in redis)) redis.defineCommand('difyrunGate', { numberOfKeys: 1, lua: GATE });
    this.#redis = redis as GateRedis;
    this.#key = keys.rate(appId);
  }

  /** The submitter sets the app's pacing; the bucket starts full. */
  static async configure(redis: Redis, appId: string, settings: PacingSettings): Promise<void> {
    const key = keys.rate(appId);
    await redis
      .multi()
      .hdel(key, 'tokens', 'ts', 'next')
      .hset(key, { rpm: settings.rpm ?? 0, spacing: settings.minSpacingMs })
      .exec();
  }

  /** Resolves when one more request may start, on any worker (rejects once `signal` aborts). */
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw new Error('scheduling stopped');
      const waitMs = await this.#redis.difyrunGate(this.#key, 'take', 0);
      if (waitMs <= 0) return;
      await abortableDelay(waitMs, signal);
    }
  }

  /** Nobody, on any worker, starts a request before `until` (ms since epoch, this host's clock). */
  pauseUntil(until: number): Promise<void> {
    return this.#redis.difyrunGate(this.#key, 'pause', Math.max(0, until - Date.now())).then(
      () => {},
      () => {}, // Redis unreachable: rows back off on their own
    );
  }
}
