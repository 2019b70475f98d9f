/**
 * A stream's idle watchdog: calls `onIdle` once when the server has been quiet too long.
 * Three deadlines, each measured from its own mark:
 * - `bytes`: nothing at all, not even a ping, for `byteTimeout`;
 * - `events`: pings but no data event for `eventTimeout` (off when undefined);
 * - `start`: no first run event (`workflow_started`) for `startTimeout` after the response
 *   opened (off when undefined). Real Dify answers a streaming run whose inputs it rejects
 *   with a ping and then silence; this catches that without waiting out `byteTimeout`.
 * Only time spent waiting on the network counts: while the consumer is busy between reads
 * the marks move forward, so a slow consumer is never taken for a silent server.
 */

export type IdleKind = 'bytes' | 'events' | 'start';

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
  #fired = false;

  constructor(limits: IdleLimits, onIdle: (kind: IdleKind, timeoutMs: number) => void, clock: Clock = systemClock) {
    this.#limits = limits;
    this.#onIdle = onIdle;
    this.#clock = clock;
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
    }
    this.#reading = true;
    this.#schedule();
  }

  /** A read returned (with bytes, or at the end of the body). */
  readEnded(gotBytes: boolean): void {
    this.#reading = false;
    this.#readEndedAt = this.#clock.now();
    if (gotBytes) this.#lastByteAt = this.#readEndedAt;
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
    if (this.#fired || this.#timer !== undefined) return;
    const due = Math.min(...this.#deadlines().map((d) => d.at));
    this.#timer = this.#clock.setTimeout(() => this.#check(), Math.max(0, due - this.#clock.now()) + 1);
  }

  #check(): void {
    this.#timer = undefined;
    if (!this.#reading || this.#fired) return; // readStarted() schedules again
    const now = this.#clock.now();
    const passed = this.#deadlines().find((d) => now >= d.at);
    if (!passed) return this.#schedule();
    this.#fired = true;
    this.#onIdle(passed.kind, passed.timeoutMs);
  }

  /** The deadlines in force, in the order they are reported when several pass at once. */
  #deadlines(): { kind: IdleKind; at: number; timeoutMs: number }[] {
    const { byteTimeout, eventTimeout, startTimeout } = this.#limits;
    const list: { kind: IdleKind; at: number; timeoutMs: number }[] = [
      { kind: 'bytes', at: this.#lastByteAt + byteTimeout, timeoutMs: byteTimeout },
    ];
    if (startTimeout !== undefined && !this.#started) {
      list.push({ kind: 'start', at: this.#openedAt + startTimeout, timeoutMs: startTimeout });
    }
    if (eventTimeout !== undefined) list.push({ kind: 'events', at: this.#lastEventAt + eventTimeout, timeoutMs: eventTimeout });
    return list;
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
