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

  add(latencyMs: number): void {
    this.#values.push(latencyMs);
    if (this.#values.length > KEEP) this.#values.shift();
  }

  recoveryWaitMs(timeoutMs: number): number {
    if (this.#values.length < ENOUGH) return Math.min(timeoutMs, 60_000);
    const sorted = [...this.#values].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
    return Math.min(timeoutMs, Math.max(5000, 3 * p95 + 5000));
  }
}
