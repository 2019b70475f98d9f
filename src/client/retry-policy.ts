/**
 * When a failed attempt may be sent again, and how long to wait first.
 *
 * Idempotent calls (GETs, stop, uploads) follow openai-node's policy: connection errors,
 * timeouts, 408, 409, 429 and 5xx are retried. `POST /workflows/run` is different: Dify has no
 * idempotency key and every accepted POST executes (and bills) a run, so it is retried only
 * when the request provably never reached the server or was turned away by a rate limiter.
 */
import { APIConnectionError, APIError, APITimeoutError, parseRetryAfterSeconds } from './errors.js';

export type Idempotency = 'idempotent' | 'run';

const MAX_SERVER_HINT_SECONDS = 60;
const INITIAL_DELAY_SECONDS = 0.5;
const MAX_DELAY_SECONDS = 8;

export function isRetryable(error: unknown, idempotency: Idempotency): boolean {
  if (error instanceof APITimeoutError) return idempotency === 'idempotent';
  if (error instanceof APIConnectionError) return idempotency === 'idempotent' || error.notSent;
  if (error instanceof APIError) {
    if (idempotency === 'run') return isRejectedByRateLimiter(error);
    const hint = error.headers.get('x-should-retry');
    if (hint === 'true') return true;
    if (hint === 'false') return false;
    if (error.status === 429) return error.code !== 'rate_limit_error';
    return error.status === 408 || error.status === 409 || error.status >= 500;
  }
  return false;
}

/**
 * A run turned away before executing: 429 from the concurrency gate or an edge proxy, or
 * Dify 1.x's "Too many requests" sent as 400 invalid_param (research §3.4). A quota 429
 * (`rate_limit_error`) is not worth retrying within one call.
 */
export function isRejectedByRateLimiter(error: APIError): boolean {
  if (error.code === 'rate_limit_error') return false;
  if (error.status === 429) return true;
  return /^too many requests/i.test(error.message);
}

/** Milliseconds to wait before retry number `retryIndex` (0-based). */
export function retryDelayMs(retryIndex: number, error: unknown, random: () => number = Math.random): number {
  if (error instanceof APIError) {
    const hint = parseRetryAfterSeconds(error.headers);
    if (hint !== undefined && hint >= 0 && hint <= MAX_SERVER_HINT_SECONDS) return Math.round(hint * 1000);
  }
  return backoffDelayMs(retryIndex, { initialMs: INITIAL_DELAY_SECONDS * 1000, maxMs: MAX_DELAY_SECONDS * 1000 }, random);
}

/**
 * The one exponential backoff of the codebase (the SDK's retries and the batch's): step
 * `retryIndex` (0-based) doubles from `initialMs` up to `maxMs`, less up to 25% jitter so
 * clients that failed together do not retry together.
 */
export function backoffDelayMs(retryIndex: number, steps: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const base = Math.min(steps.initialMs * 2 ** retryIndex, steps.maxMs);
  return Math.round(base * (1 - random() * 0.25));
}
