/**
 * Paces request starts: an optional requests-per-minute token bucket (burst = rpm / 60, at
 * least 1) and an optional minimum spacing between starts (`--wait`, the Python batch executor's pacing).
 * Also holds a shared pause that a 429 `Retry-After` sets for everyone.
 */
import { abortableDelay } from '../../util/abortable-delay.js';

export interface RateGateOptions {
  rpm?: number | undefined;
  /** Minimum milliseconds between two request starts. */
  minSpacingMs?: number | undefined;
}

export class RateGate {
  readonly #ratePerMs: number;
  readonly #capacity: number;
  readonly #spacing: number;
  #tokens: number;
  #refilledAt = Date.now();
  #nextStart = 0;
  #pausedUntil = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: RateGateOptions = {}) {
    this.#ratePerMs = options.rpm ? options.rpm / 60_000 : 0;
    this.#capacity = options.rpm ? Math.max(1, Math.floor(options.rpm / 60)) : 0;
    this.#tokens = this.#capacity;
    this.#spacing = options.minSpacingMs ?? 0;
  }

  /** Nobody starts a request before `until` (ms since epoch). */
  pauseUntil(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  /** Resolves when one more request may start (rejects once `signal` aborts). Callers are served in order. */
  take(signal: AbortSignal): Promise<void> {
    const turn = this.#chain.then(() => this.#wait(signal));
    this.#chain = turn.catch(() => {});
    return turn;
  }

  async #wait(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      let waitMs = Math.max(0, this.#pausedUntil - now, this.#nextStart - now);
      if (this.#ratePerMs > 0) {
        this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#refilledAt) * this.#ratePerMs);
        this.#refilledAt = now;
        if (this.#tokens < 1) waitMs = Math.max(waitMs, Math.ceil((1 - this.#tokens) / this.#ratePerMs));
      }
      if (signal.aborted) throw new Error('scheduling stopped');
      if (waitMs <= 0) break;
      await abortableDelay(waitMs, signal);
    }
    if (this.#ratePerMs > 0) this.#tokens -= 1;
    this.#nextStart = Date.now() + this.#spacing;
  }
}
