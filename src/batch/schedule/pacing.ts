/**
 * The batch's pacing, one owner for it: the adaptive window (rows in flight) and the rate gate
 * (request starts). The scheduler takes and gives back window slots; each row's attempts pass
 * the gate and report how they went (the RowPacer side), which grows or shrinks the window.
 */
import type { RowPacer } from '../execute/execute-row.js';
import { abortableDelay } from '../../util/abortable-delay.js';
import { AdaptiveWindow } from './adaptive-window.js';
import { RateGate } from './rate-gate.js';

export interface PacingOptions {
  concurrency: number;
  rpm: number | undefined;
  /** Minimum milliseconds between two request starts. */
  minSpacingMs: number;
  /** Told when refusals shrank the window (once per shrink). */
  onLowered?: ((limit: number) => void) | undefined;
}

export class Pacing implements RowPacer {
  readonly #window: AdaptiveWindow;
  readonly #gate: RateGate;
  readonly #onLowered: ((limit: number) => void) | undefined;

  constructor(options: PacingOptions) {
    this.#window = new AdaptiveWindow(options.concurrency);
    this.#gate = new RateGate({ rpm: options.rpm, minSpacingMs: options.minSpacingMs });
    this.#onLowered = options.onLowered;
  }

  /** Rows in flight now. */
  get inFlight(): number {
    return this.#window.active;
  }

  /** Resolves with a slot for one more row in flight. */
  takeSlot(): Promise<void> {
    return this.#window.acquire();
  }

  giveBackSlot(): void {
    this.#window.release();
  }

  /** Lets everyone waiting for a slot re-check (the batch is stopping). */
  wakeAll(): void {
    this.#window.wakeAll();
  }

  beforeAttempt(signal: AbortSignal): Promise<void> {
    return this.#gate.take(signal);
  }

  /**
   * A row's backoff, waited out of the window: its slot goes to another row meanwhile (a row
   * waiting is not a request in flight), and it takes one back, ahead of rows not yet started.
   */
  async waitAside(ms: number, signal: AbortSignal): Promise<void> {
    this.#window.release();
    try {
      await abortableDelay(ms, signal);
    } finally {
      await this.#window.acquire(true);
    }
  }

  afterAttempt(result: 'ran' | 'overloaded', startedAt: number, pauseAllMs?: number): void {
    if (result === 'ran') {
      this.#window.onSuccess();
      return;
    }
    // A server-given Retry-After holds back every row.
    if (pauseAllMs !== undefined) this.#gate.pauseUntil(Date.now() + pauseAllMs);
    if (this.#window.onOverloaded(startedAt)) this.#onLowered?.(this.#window.limit);
  }
}
