/**
 * A stream's idle watchdog: calls `onIdle` once when the server has been quiet too long.
 * Three deadlines, each measured from its own mark:
 * - `bytes`: nothing at all, not even a ping, for `byteTimeout` (once the run started, when
 *   there is a start deadline: a queued run is silent);
 * - `events`: pings but no data event for `eventTimeout` (off when undefined);
 * - `start`: no first run event (`workflow_started`) for `startTimeout` after the response
 *   opened (off when undefined). Real Dify answers a streaming run whose inputs it rejects
 *   with a ping and then silence; this catches that without waiting out `byteTimeout`.
 * Only time spent waiting on the network counts: while the consumer is busy between reads
 * the marks move forward, so a slow consumer is never taken for a silent server.
 *
 * Besides these, an optional quiet check (`watchQuiet`): once the run started, silence past
 * `missedPings` of the server's ping intervals as seen on this stream (at least a floor) calls
 * `onQuiet`, which is not fatal: the owner asks the server whether the run has already ended.
 * Each further check waits twice as long, until bytes arrive again.
 */

export type IdleKind = 'bytes' | 'events' | 'start';

/** Pings a silence must outlast before the quiet check (a ping a little late is not a stall). */
export const MISSED_PINGS = 3;

export interface IdleLimits {
  byteTimeout: number;
  eventTimeout?: number | undefined;
  startTimeout?: number | undefined;
}

/** The timer functions the watchdog uses; tests pass a manual clock. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class IdleWatchdog {
  readonly #limits: IdleLimits;
  readonly #onIdle: (kind: IdleKind, timeoutMs: number) => void;
  readonly #clock: Clock;
  #lastByteAt = 0;
  #lastEventAt = 0;
  #openedAt = 0;
  #started = false;
  #reading = false;
  #readEndedAt: number | undefined;
  #timer: unknown;
  #timerAt = 0;
  #fired = false;
  #quiet: { floorMs: number; onQuiet: () => void } | undefined;
  #lastPingAt: number | undefined;
  #pingIntervalMs = 0;
  /** When the next quiet check is due, once a first one fired; undefined: measured from the last byte. */
  #quietAt: number | undefined;
  #quietWaitMs = 0;

  constructor(limits: IdleLimits, onIdle: (kind: IdleKind, timeoutMs: number) => void, clock: Clock = systemClock) {
    this.#limits = limits;
    this.#onIdle = onIdle;
    this.#clock = clock;
  }

  /** Checks on a quiet stream: see the module comment. `floorMs` is the shortest silence checked on. */
  watchQuiet(floorMs: number, onQuiet: () => void): void {
    this.#quiet = { floorMs, onQuiet };
  }

  /** The silence the quiet check waits for: a few ping intervals seen on this stream, at least the floor. */
  get quietAfterMs(): number {
    return Math.max(this.#quiet?.floorMs ?? Infinity, MISSED_PINGS * this.#pingIntervalMs);
  }

  /** The response opened: every deadline starts now (time until the first read is the consumer's). */
  arm(): void {
    this.#lastByteAt = this.#lastEventAt = this.#openedAt = this.#readEndedAt = this.#clock.now();
  }

  /** The consumer waits on the network again: its busy time since the last read is discounted. */
  readStarted(): void {
    const now = this.#clock.now();
    if (this.#readEndedAt !== undefined) {
      const busy = now - this.#readEndedAt;
      this.#lastByteAt += busy;
      this.#lastEventAt += busy;
      this.#openedAt += busy;
      if (this.#quietAt !== undefined) this.#quietAt += busy;
    }
    this.#reading = true;
    this.#schedule();
  }

  /** A read returned (with bytes, or at the end of the body). */
  readEnded(gotBytes: boolean): void {
    this.#reading = false;
    this.#readEndedAt = this.#clock.now();
    if (gotBytes) {
      this.#lastByteAt = this.#readEndedAt;
      this.#quietAt = undefined;
    }
  }

  /** A ping arrived: the longest gap between two pings is the server's interval as seen here. */
  sawPing(): void {
    const now = this.#clock.now();
    if (this.#lastPingAt !== undefined) this.#pingIntervalMs = Math.max(this.#pingIntervalMs, now - this.#lastPingAt);
    this.#lastPingAt = now;
  }

  /** One or more data events arrived. */
  sawEvent(): void {
    this.#lastEventAt = this.#clock.now();
  }

  /** The run's first event arrived: the start deadline no longer applies. */
  sawStart(): void {
    this.#started = true;
  }

  disarm(): void {
    this.#fired = true;
    this.#clear();
  }

  #schedule(): void {
    if (this.#fired) return;
    // Runs on every read: no list of deadlines is built here.
    const events = this.#limits.eventTimeout === undefined ? Infinity : this.#dueAt('events');
    const due = Math.min(this.#dueAt(this.#silenceKind()), events, this.#quietDueAt() ?? Infinity);
    // A pending timer stands unless something is now due before it (the quiet check, once the run started).
    if (this.#timer !== undefined) {
      if (this.#timerAt <= due) return;
      this.#clear();
    }
    this.#timerAt = due;
    this.#timer = this.#clock.setTimeout(() => this.#check(), Math.max(0, due - this.#clock.now()) + 1);
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#reading || this.#fired) return; // readStarted() schedules again
    const now = this.#clock.now();
    // When several have passed at once, silence is reported before events.
    const silence = this.#silenceKind();
    const passed = now >= this.#dueAt(silence) ? silence : this.#limits.eventTimeout !== undefined && now >= this.#dueAt('events') ? 'events' : undefined;
    if (passed) {
      this.#fired = true;
      this.#onIdle(passed, this.#timeoutOf(passed));
      return;
    }
    const quietAt = this.#quietDueAt();
    if (quietAt !== undefined && now >= quietAt) {
      this.#quietWaitMs = this.#quietAt === undefined ? this.quietAfterMs : this.#quietWaitMs * 2;
      this.#quietAt = now + this.#quietWaitMs;
      this.#quiet!.onQuiet();
    }
    this.#schedule();
  }

  /** When the quiet check is due: only once the run started (the owner needs its run id). */
  #quietDueAt(): number | undefined {
    if (this.#quiet === undefined || !this.#started) return undefined;
    return this.#quietAt ?? this.#lastByteAt + this.quietAfterMs;
  }

  /**
   * The silence deadline in force. Before its run starts, a run waiting for a worker is silent
   * on real Dify (no pings): a bytes deadline there would give up a row that is merely queued,
   * and a retry would run it twice. The start deadline alone applies until then.
   */
  #silenceKind(): 'start' | 'bytes' {
    return this.#limits.startTimeout !== undefined && !this.#started ? 'start' : 'bytes';
  }

  /** When `kind`'s deadline passes (`events` and `start` only when their timeout is set). */
  #dueAt(kind: IdleKind): number {
    const mark = kind === 'bytes' ? this.#lastByteAt : kind === 'events' ? this.#lastEventAt : this.#openedAt;
    return mark + this.#timeoutOf(kind);
  }

  #timeoutOf(kind: IdleKind): number {
    const { byteTimeout, eventTimeout, startTimeout } = this.#limits;
    return (kind === 'bytes' ? byteTimeout : kind === 'events' ? eventTimeout : startTimeout) ?? Infinity;
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
