/**
 * `--mode auto`: which response mode new rows use, from the runs seen so far.
 *
 * Self-hosted Dify executes streaming runs in its Celery worker (one by default) but blocking
 * runs in the API process, so with several rows in flight streaming runs wait in a queue: the
 * time from POST to `workflow_started` grows while the runs themselves stay short. Blocking
 * avoids that queue, but a gateway cuts blocking requests off (Dify Cloud at ~100 s). So: stream
 * first; move to blocking when streaming runs are seen waiting in the queue and every recent run
 * finished well inside the cut-off; go back to streaming when runs get long.
 */

export type ResponseMode = 'streaming' | 'blocking';

export interface RunObservation {
  mode: ResponseMode;
  /** Streaming: POST to the run's first event. */
  startDelayMs: number | undefined;
  /** The run's own elapsed time as Dify reports it. */
  elapsedMs: number;
}

export interface ModeDecision {
  mode: ResponseMode;
  reason: string;
}

/** Runs seen before the first switch. */
export const MIN_OBSERVATIONS = 3;
/** Blocking only while every recent run took at most this long: a third of the ~100 s cut-off. */
export const BLOCKING_SAFE_MS = 30_000;
/** Back to streaming once a run takes this long. */
export const TOO_LONG_FOR_BLOCKING_MS = 60_000;
/** Queue waits shorter than this are network and start-up noise. */
const QUEUE_NOTICEABLE_MS = 100;
/** ...and at least half as long as the run itself (a server warming up is not a queue). */
const QUEUE_SHARE = 0.5;

export const INITIAL_AUTO: ModeDecision = { mode: 'streaming', reason: 'auto: streaming until runs show how the server queues them' };

export function chooseMode(current: ModeDecision, recent: readonly RunObservation[]): ModeDecision {
  if (recent.length < MIN_OBSERVATIONS) return current;
  const longest = Math.max(...recent.map((run) => run.elapsedMs));
  if (current.mode === 'blocking') {
    if (longest < TOO_LONG_FOR_BLOCKING_MS) return current;
    return { mode: 'streaming', reason: `auto: back to streaming, a run took ${seconds(longest)} (blocking requests are cut off at ~100 s by gateways)` };
  }
  const streamed = recent.filter((run) => run.mode === 'streaming' && run.startDelayMs !== undefined);
  if (streamed.length < MIN_OBSERVATIONS || longest > BLOCKING_SAFE_MS) return current;
  const wait = median(streamed.map((run) => run.startDelayMs!));
  const elapsed = median(streamed.map((run) => run.elapsedMs));
  if (wait < QUEUE_NOTICEABLE_MS || wait < QUEUE_SHARE * elapsed) return current;
  return {
    mode: 'blocking',
    reason: `auto: blocking, streaming runs waited ${seconds(wait)} (median) in Dify's queue for runs of ${seconds(elapsed)}, and every run finished within ${seconds(longest)}`,
  };
}

/** Remembers the last runs and keeps the current decision. */
export class ModeChooser {
  #decision: ModeDecision;
  readonly #recent: RunObservation[] = [];
  readonly #fixed: boolean;

  constructor(mode: 'auto' | ResponseMode) {
    this.#fixed = mode !== 'auto';
    this.#decision = mode === 'auto' ? INITIAL_AUTO : { mode, reason: `--mode ${mode}` };
  }

  get decision(): ModeDecision {
    return this.#decision;
  }

  /** Returns the decision when this run changed it. */
  observe(run: RunObservation): ModeDecision | undefined {
    if (this.#fixed) return undefined;
    this.#recent.push(run);
    if (this.#recent.length > 20) this.#recent.shift();
    const next = chooseMode(this.#decision, this.#recent);
    if (next.mode === this.#decision.mode) return undefined;
    this.#decision = next;
    // Judge the new mode by its own runs.
    this.#recent.length = 0;
    return next;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(ms >= 1000 ? 1 : 2)} s`;
}
