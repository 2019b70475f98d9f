/**
 * How long recovery waits for a run that may still be going, from the latencies of recent
 * rows: 3× their p95 + 5 s, within the row timeout; before 10 rows have finished, up to a
 * minute (a run that is not in the logs by then is sent again, and the end-of-batch audit
 * counts it if it was a duplicate).
 */
const KEEP = 200;
const ENOUGH = 10;

export class RecentLatencies {
  readonly #values: number[] = [];
  /** The p95 as of the last sort; every row asks for it, so it is sorted at most once per KEEP/10 new latencies. */
  #p95: number | undefined;
  #addedSinceSort = 0;

  add(latencyMs: number): void {
    this.#values.push(latencyMs);
    if (this.#values.length > KEEP) this.#values.shift();
    this.#addedSinceSort++;
  }

  recoveryWaitMs(timeoutMs: number): number {
    if (this.#values.length < ENOUGH) return Math.min(timeoutMs, 60_000);
    if (this.#p95 === undefined || this.#addedSinceSort >= Math.min(KEEP, this.#values.length) / 10) {
      const sorted = [...this.#values].sort((a, b) => a - b);
      this.#p95 = sorted[Math.floor(sorted.length * 0.95)]!;
      this.#addedSinceSort = 0;
    }
    return Math.min(timeoutMs, Math.max(5000, 3 * this.#p95 + 5000));
  }
}
