/**
 * The concurrency window: at most `limit` rows in flight, with AIMD between 1 and the
 * configured maximum.
 *
 * Dify's 429 `too_many_requests` comes from a cap on active requests: when we exceed it, most
 * requests beyond the cap are refused at once, so refusals soon make up most answers. Refusals
 * that do not come from our own concurrency (a proxy's, a busy shared app's) arrive at a steady
 * background rate whatever the window. So the window halves only when at least 30% of the last
 * 20 answers were refusals (8% random refusals reach that about once in 250 stretches, 20% did
 * once in 14), at most once per window's worth of answers, and only for requests started after
 * the previous decrease (their answers reflect the new window). Each success adds 4/limit:
 * about one slot per quarter window of successes, so a needless halving is undone within two
 * windows' worth of answers instead of eight.
 */
const RECENT = 20;
const OVERLOAD_SHARE = 0.3;
const GROWTH = 4;

export class AdaptiveWindow {
  #limit: number;
  #active = 0;
  #lastDecrease = 0;
  /** Answers since the last decrease: the next one waits for a window's worth of them. */
  #answersSinceDecrease = Infinity;
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

  /** Resolves when a slot is free, and takes it. `first`: ahead of everyone waiting (a row already under way). */
  async acquire(first = false): Promise<void> {
    while (this.#active >= this.limit) await new Promise<void>((resolve) => (first ? this.#waiters.unshift(resolve) : this.#waiters.push(resolve)));
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
      this.#limit = Math.min(this.max, this.#limit + GROWTH / this.#limit);
      this.#wake();
    }
  }

  /** A request started at `startedAt` was refused by a rate limiter. Returns true when the window shrank. */
  onOverloaded(startedAt: number): boolean {
    this.#remember(1);
    const refusals = this.#recent.reduce((sum, value) => sum + value, 0);
    if (startedAt < this.#lastDecrease || this.#answersSinceDecrease < this.limit || refusals < RECENT * OVERLOAD_SHARE) return false;
    this.#lastDecrease = Date.now();
    this.#answersSinceDecrease = 0;
    this.#recent = [];
    const before = this.limit;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    return this.limit < before;
  }

  #remember(value: number): void {
    this.#answersSinceDecrease++;
    this.#recent.push(value);
    if (this.#recent.length > RECENT) this.#recent.shift();
  }

  /** Wakes as many waiters as there are free slots; each re-checks before taking one. */
  #wake(): void {
    const free = this.limit - this.#active;
    for (const wake of this.#waiters.splice(0, Math.max(0, free))) wake();
  }
}
