/**
 * How a stop reaches a run on the real Dify 1.13.2 (measured with the kit; the README's flaws
 * table). Its stop API sets two things at once, and whichever the run meets first wins:
 *
 * - an abort command for the graph engine, read each time a top-level node finishes. The node
 *   that finish made ready still starts; then the stream ends `workflow_finished` `failed`
 *   "Aborted: User requested stop" and the run is recorded `stopped` with that error (`aborted`);
 * - the task's stop flag, which the stream reads after each event it sends and after each
 *   second without one, through a cache kept for 1 s. Once it is seen, the stream ends
 *   `stopped` "Stopped by user." after the event just sent, the run's thread dies at its next
 *   event, and the store keeps the run `running` for good (`cut`).
 *
 * So a stop during a node that finishes before the cached flag expires is `aborted`; a stop
 * during a longer node is `cut` about a second later. The cache is first filled when
 * workflow_started is sent, before any stop can name the task.
 */
export const STOP_FLAG_CACHE_MS = 1000;

export type StopOutcome = 'none' | 'aborted' | 'cut';

export class StopRace {
  #requested = false;
  #outcome: StopOutcome = 'none';
  #cachedAt: number | undefined;
  #cachedFlag = false;
  #lastEventAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onCut: () => void = () => {};

  constructor(
    /** How long a read of the stop flag is cached (Dify: 1 s); tests stretch it to make the engine win. */
    private readonly cacheMs = STOP_FLAG_CACHE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get requested(): boolean {
    return this.#requested;
  }

  get outcome(): StopOutcome {
    return this.#outcome;
  }

  /** The stop API: the flag and the abort command are set together. */
  request(): void {
    if (this.#requested || this.#outcome !== 'none') return;
    this.#requested = true;
    this.#armIdleCheck();
  }

  /** The run to cut when the stream sees the flag (set once the run has started). */
  onCut(cut: () => void): void {
    this.#onCut = cut;
  }

  /** The stream sent an event: it reads the flag (through its cache) right after. */
  eventSent(): void {
    if (this.#outcome !== 'none') return;
    this.#lastEventAt = this.now();
    if (this.#flagSeen()) this.#cut();
    else this.#armIdleCheck();
  }

  /** The graph engine reads its commands (a top-level node finished): whether the stop is among them. */
  engineSeesStop(): boolean {
    return this.#requested && this.#outcome === 'none';
  }

  /** The engine's abort ended the run before the stream saw the flag. */
  aborted(): void {
    if (this.#outcome !== 'none') return;
    this.#outcome = 'aborted';
    this.dispose();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flagSeen(): boolean {
    const now = this.now();
    if (this.#cachedAt === undefined || now - this.#cachedAt >= this.cacheMs) {
      this.#cachedAt = now;
      this.#cachedFlag = this.#requested;
    }
    return this.#cachedFlag;
  }

  #cut(): void {
    this.#outcome = 'cut';
    this.dispose();
    this.#onCut();
  }

  /** With no event, the stream still reads the flag each second after the last one. */
  #armIdleCheck(): void {
    if (!this.#requested || this.#outcome !== 'none') return;
    clearTimeout(this.#timer);
    const wait = this.cacheMs - ((this.now() - this.#lastEventAt) % this.cacheMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#outcome !== 'none') return;
      if (this.#flagSeen()) this.#cut();
      else this.#armIdleCheck();
    }, wait);
    this.#timer.unref?.();
  }
}
