/**
 * Watches a streaming POST until its run starts. Dify answers a streaming POST with 200 and
 * `event: ping` before the run is queued for its celery worker; when the worker then rejects
 * the row (an unknown `upload_file_id`: the one rejection the local pre-flight cannot see) the
 * stream stays silent until Dify's own 300 s timeout and never carries the error.
 *
 * Silence cannot tell such a row from one merely queued behind busy workers (the run id is made
 * by the server, so nothing can be looked up), and sending a queued row again would run it
 * twice. So nothing is inferred from timing: once the stream has been silent for a moment, the
 * server is asked with a request that cannot run anything (rejection-probe.ts). Dify's own
 * rejection ends the stream with Dify's error; otherwise the stream waits on, up to the row's
 * timeout, after which the row fails without being sent again.
 */
import type { DifyClient } from '../../client/client.js';
import type { InputVariable } from '../../protocol/index.js';
import { inputVariables } from '../../protocol/index.js';

/** A streaming attempt that had only pings until the row's timeout: the server never started its run. */
export class RunNotStartedError extends Error {
  override name = 'RunNotStartedError';
  constructor(waitedMs: number) {
    super(
      `The server accepted the request but never started the run (only pings for ${Math.round(waitedMs / 1000)} s); it was not sent again, since it may still be queued on the server`,
    );
  }
}

export interface StartTicket {
  /** The run's first event arrived. */
  started(): void;
  /** The attempt is over, however it ended. */
  end(): void;
}

/**
 * What the server says of a silent stream's row: its own error when it rejected the row, else
 * undefined (nothing known). Must never start a run.
 */
export type StartProbe = (variables: readonly InputVariable[]) => Promise<Error | undefined>;

/** A silent stream is asked about after this long: a run on an idle worker has started by then. */
const PROBE_AFTER_MS = 2_000;
/** A timer this late says the process was not running, not that the server was silent. */
const LATE_MS = 200;
/** How long the app's input form, read for probes, is reused (a republished app may change it). */
const FORM_KEPT_MS = 10_000;

/** Shared by the streaming rows of one batch. */
export class StartOrder {
  readonly #probeAfterMs: number;
  #form: { at: number; variables: Promise<InputVariable[]> } | undefined;

  constructor(options: { probeAfterMs?: number } = {}) {
    this.#probeAfterMs = options.probeAfterMs ?? PROBE_AFTER_MS;
  }

  /**
   * Registers a streaming POST. `giveUp` is called (at most once) with the error that ends it:
   * the server's rejection found by `probe`, or RunNotStartedError at `timeoutMs` without a first event.
   */
  posted(timeoutMs: number, giveUp: (error: Error) => void, probe?: { client: DifyClient; ask: StartProbe }): StartTicket {
    const postedAt = Date.now();
    let over = false;
    const timers: NodeJS.Timeout[] = [];
    const end = () => {
      over = true;
      for (const timer of timers) clearTimeout(timer);
    };
    const fire = (error: Error) => {
      if (over) return;
      end();
      giveUp(error);
    };
    // A timer that fires late means the event loop was starved: this run's first event may have
    // arrived unread, so it looks again a moment later.
    const after = (ms: number, then: () => void) => {
      const dueAt = Date.now() + ms;
      const timer = setTimeout(() => (Date.now() - dueAt <= LATE_MS ? then() : after(Math.min(ms, LATE_MS * 5), then)), ms);
      timer.unref();
      timers.push(timer);
    };
    after(timeoutMs, () => fire(new RunNotStartedError(Date.now() - postedAt)));
    if (probe && this.#probeAfterMs < timeoutMs) {
      after(this.#probeAfterMs, () => {
        void this.#variables(probe.client)
          .then((variables) => (over ? undefined : probe.ask(variables)))
          .then((rejection) => rejection && fire(rejection))
          .catch(() => undefined); // nothing learnt: the stream waits on
      });
    }
    return { started: end, end };
  }

  #variables(client: DifyClient): Promise<InputVariable[]> {
    if (!this.#form || Date.now() - this.#form.at > FORM_KEPT_MS) {
      const variables = client.app.parameters().then(inputVariables);
      variables.catch(() => (this.#form = undefined));
      this.#form = { at: Date.now(), variables };
    }
    return this.#form.variables;
  }
}
