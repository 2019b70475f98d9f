/**
 * Notices a streaming run that will never start. Dify answers a streaming POST with 200 and
 * `event: ping` before the run is queued for its worker; when the worker then rejects the
 * inputs (a required input missing, an unknown upload_file_id) the stream stays silent until
 * Dify's own 300 s timeout and never carries the error.
 *
 * Dify's worker queue is first in, first out, so a stream POSTed *later* in the same batch
 * that has already started means this one was taken off the queue and dropped. After a grace
 * (two workers take neighbouring runs a moment apart, a busy server or client reorders starts:
 * 2 s, or twice the longest such reordering seen in this batch) the stream is given up. Without a later start (the last rows of a batch, -c 1) the wait for the first
 * event ends once it is far beyond how long runs here take to start (5× the p90 of the last
 * starts, at least 10 s, once 5 starts were seen), and always at the row's timeout.
 */

/** Why a stream was given up before its run started. */
export type NotStartedReason = 'overtaken' | 'slow' | 'timeout';

/** A streaming attempt that had only pings: the server never started its run. */
export class RunNotStartedError extends Error {
  override name = 'RunNotStartedError';
  constructor(
    readonly reason: NotStartedReason,
    waitedMs: number,
  ) {
    const why = { overtaken: ' while runs sent after it started', slow: ', far longer than runs here take to start', timeout: '' }[reason];
    super(`The server accepted the request but never started the run (only pings for ${Math.round(waitedMs / 1000)} s${why})`);
  }
}

export interface StartTicket {
  /** The run's first event arrived. */
  started(): void;
  /** The attempt is over, however it ended. */
  end(): void;
}

const GRACE_MS = 2000;
const STARTS_KEPT = 20;
const STARTS_NEEDED = 5;
const SLOW_FACTOR = 5;
const GRACE_FACTOR = 2;
const SLOW_AT_LEAST_MS = 10_000;
/** A timer this late says the process was not running, not that the server was silent. */
const LATE_MS = 200;

export class StartOrder {
  #posted = 0;
  /** The highest POST number whose run has started. */
  #latestStarted = -1;
  readonly #waiting = new Map<number, () => void>();
  /** How long the last runs took from POST to their first event. */
  readonly #startDelays: number[] = [];
  /** The longest a run that was overtaken still took to start (a legitimate reordering). */
  #longestReorderMs = 0;

  readonly #graceMs: number;
  readonly #slowAtLeastMs: number;

  constructor(options: { graceMs?: number; slowAtLeastMs?: number } = {}) {
    this.#graceMs = options.graceMs ?? GRACE_MS;
    this.#slowAtLeastMs = options.slowAtLeastMs ?? SLOW_AT_LEAST_MS;
  }

  /**
   * Registers a streaming POST; `giveUp` is called (once) when the run will not start: a later
   * POST started and `graceMs` passed, or `timeoutMs` passed without a first event.
   */
  posted(timeoutMs: number, giveUp: (error: RunNotStartedError) => void): StartTicket {
    const seq = this.#posted++;
    const postedAt = Date.now();
    let grace: NodeJS.Timeout | undefined;
    let overtakenAt: number | undefined;
    let over = false;
    const fire = (reason: NotStartedReason) => {
      if (over) return;
      end();
      giveUp(new RunNotStartedError(reason, Date.now() - postedAt));
    };
    const end = () => {
      over = true;
      clearTimeout(deadline);
      clearTimeout(grace);
      this.#waiting.delete(seq);
    };
    // A timer that fires late means the event loop was starved: data that arrived meanwhile
    // (this run's first event) may not have been read yet, so it looks again a grace later.
    const after = (ms: number, reason: NotStartedReason): NodeJS.Timeout => {
      const dueAt = Date.now() + ms;
      const timer = setTimeout(() => {
        if (Date.now() - dueAt <= LATE_MS) fire(reason);
        else if (reason === 'overtaken') grace = after(this.#graceAfterOvertakenMs(), reason);
        else deadline = after(this.#graceMs, reason);
      }, ms);
      timer.unref();
      return timer;
    };
    const slowAfter = this.#slowAfterMs();
    let deadline = slowAfter !== undefined && slowAfter < timeoutMs ? after(slowAfter, 'slow') : after(timeoutMs, 'timeout');
    // Overtaken: a short grace is left (the first later start sets it; the deadline still holds).
    this.#waiting.set(seq, () => {
      this.#waiting.delete(seq);
      overtakenAt = Date.now();
      grace = after(this.#graceAfterOvertakenMs(), 'overtaken');
    });
    return {
      started: () => {
        if (over) return;
        end();
        if (overtakenAt !== undefined) this.#longestReorderMs = Math.max(this.#longestReorderMs, Date.now() - overtakenAt);
        this.#startDelays.push(Date.now() - postedAt);
        if (this.#startDelays.length > STARTS_KEPT) this.#startDelays.shift();
        if (seq <= this.#latestStarted) return;
        this.#latestStarted = seq;
        // Everything POSTed before this run and still without a first event was passed over.
        for (const [earlier, overtaken] of [...this.#waiting]) if (earlier < seq) overtaken();
      },
      end,
    };
  }

  /** When a run still not started is far beyond how long runs here take to start. */
  #slowAfterMs(): number | undefined {
    if (this.#startDelays.length < STARTS_NEEDED) return undefined;
    const sorted = [...this.#startDelays].sort((a, b) => a - b);
    return Math.max(this.#slowAtLeastMs, SLOW_FACTOR * sorted[Math.floor(sorted.length * 0.9)]!);
  }

  /** How long an overtaken stream still gets: twice the longest legitimate reordering seen, at least the base grace. */
  get overtakenGraceMs(): number {
    return this.#graceAfterOvertakenMs();
  }

  #graceAfterOvertakenMs(): number {
    return Math.max(this.#graceMs, GRACE_FACTOR * this.#longestReorderMs);
  }
}
