/**
 * The concurrency window: at most `limit` rows in flight, with AIMD between 1 and the
 * configured maximum.
 *
 * Dify's 429 `too_many_requests` comes from a cap on active requests: when we exceed it, most
 * requests beyond the cap are refused at once. So the window halves when at least 20% of the
 * last 20 responses were refusals (a stray 429 from a busy proxy does not shrink it), and only
 * for requests started after the previous decrease (their answers reflect the new window).
 * Each success adds 1/limit, about one slot per window's worth of successes.
 */
const RECENT = 20;
const OVERLOAD_SHARE = 0.2;

export class AdaptiveWindow {
  #limit: number;
  #active = 0;
  #lastDecrease = 0;
  #waiters: (() => void)[] = [];
  #recent: number[] = [];

  constructor(readonly max: number) {
    this.#limit = max;
  }

  get limit(): number {
    return Math.floor(this.#limit);
  }

  get active(): number {
    return this.#active;
  }

  /** Resolves when a slot is free, and takes it. */
  async acquire(): Promise<void> {
    while (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#active++;
  }

  release(): void {
    this.#active--;
    this.#wake();
  }

  /** Wakes everyone waiting for a slot (used when stopping, so waiters can notice). */
  wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  onSuccess(): void {
    this.#remember(0);
    if (this.#limit < this.max) {
      this.#limit = Math.min(this.max, this.#limit + 1 / this.#limit);
      this.#wake();
    }
  }

  /** A request started at `startedAt` was refused by a rate limiter. Returns true when the window shrank. */
  onOverloaded(startedAt: number): boolean {
    this.#remember(1);
    const refusals = this.#recent.reduce((sum, value) => sum + value, 0);
    if (startedAt < this.#lastDecrease || refusals < RECENT * OVERLOAD_SHARE) return false;
    this.#lastDecrease = Date.now();
    this.#recent = [];
    const before = this.limit;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    return this.limit < before;
  }

  #remember(value: number): void {
    this.#recent.push(value);
    if (this.#recent.length > RECENT) this.#recent.shift();
  }

  /** Wakes as many waiters as there are free slots; each re-checks before taking one. */
  #wake(): void {
    const free = this.limit - this.#active;
    for (const wake of this.#waiters.splice(0, Math.max(0, free))) wake();
  }
}
