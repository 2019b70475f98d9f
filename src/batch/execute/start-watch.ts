/**
 * Notices a streaming run that will never start. Dify answers a streaming POST with 200 and
 * `event: ping` before the run is queued for its worker; when the worker then rejects the
 * inputs (a required input missing, an unknown upload_file_id) the stream stays silent until
 * Dify's own 300 s timeout and never carries the error.
 *
 * Dify's worker queue is first in, first out, so a stream POSTed *later* in the same batch
 * that has already started means this one was taken off the queue and dropped. After a short
 * grace (two workers can take neighbouring runs a moment apart) the stream is given up as
 * not started. Without such evidence the wait for the first event is still bounded by the
 * row's timeout.
 */

/** Why a stream was given up before its run started. */
export type NotStartedReason = 'overtaken' | 'timeout';

/** A streaming attempt that had only pings: the server never started its run. */
export class RunNotStartedError extends Error {
  override name = 'RunNotStartedError';
  constructor(
    readonly reason: NotStartedReason,
    waitedMs: number,
  ) {
    super(
      reason === 'overtaken'
        ? `The server accepted the request but never started the run (only pings for ${Math.round(waitedMs / 1000)} s while runs sent after it started)`
        : `The server accepted the request but never started the run (only pings for ${Math.round(waitedMs / 1000)} s)`,
    );
  }
}

export interface StartTicket {
  /** The run's first event arrived. */
  started(): void;
  /** The attempt is over, however it ended. */
  end(): void;
}

const GRACE_MS = 2000;

export class StartOrder {
  #posted = 0;
  /** The highest POST number whose run has started. */
  #latestStarted = -1;
  readonly #waiting = new Map<number, () => void>();

  constructor(private readonly graceMs = GRACE_MS) {}

  /**
   * Registers a streaming POST; `giveUp` is called (once) when the run will not start: a later
   * POST started and `graceMs` passed, or `timeoutMs` passed without a first event.
   */
  posted(timeoutMs: number, giveUp: (error: RunNotStartedError) => void): StartTicket {
    const seq = this.#posted++;
    const postedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let over = false;
    const fire = (reason: NotStartedReason) => {
      if (over) return;
      end();
      giveUp(new RunNotStartedError(reason, Date.now() - postedAt));
    };
    const end = () => {
      over = true;
      clearTimeout(timer);
      this.#waiting.delete(seq);
    };
    timer = setTimeout(() => fire('timeout'), timeoutMs);
    timer.unref();
    this.#waiting.set(seq, () => {
      // Overtaken: from now on only a short grace is left (the first later start sets it).
      this.#waiting.delete(seq);
      clearTimeout(timer);
      timer = setTimeout(() => fire('overtaken'), Math.min(this.graceMs, Math.max(0, postedAt + timeoutMs - Date.now())));
      timer.unref();
    });
    return {
      started: () => {
        if (over) return;
        end();
        if (seq <= this.#latestStarted) return;
        this.#latestStarted = seq;
        // Everything POSTed before this run and still without a first event was passed over.
        for (const [earlier, overtaken] of [...this.#waiting]) if (earlier < seq) overtaken();
      },
      end,
    };
  }
}
