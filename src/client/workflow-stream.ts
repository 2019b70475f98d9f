/**
 * A workflow run's event stream: an AsyncIterable of typed events with the ids it has seen,
 * `abort()`, `stop()` (the server-side stop), `finalResult()` and `text()`.
 *
 * Layers: EventStream (the connection: SSE bytes → JSON events), IdleWatchdog (fails a quiet
 * stream), and this class: Dify's event names, the run's ids, its terminal event and result.
 *
 * Terminal events: `workflow_finished` and `workflow_paused` end the iteration (the connection
 * is released); an `error` event throws `DifyStreamError`; any other end throws
 * `StreamEndedError` with the ids seen, so the caller can recover the run.
 *
 * A stream that goes quiet after its run started (no bytes, not even the pings) is checked on:
 * if run detail says the run has ended, the stream ends with that result (`resultFromRunDetail`)
 * instead of waiting out `streamIdleTimeout` (see stall-check.ts).
 */
import type { JsonObject, StopResponse } from '../protocol/index.js';
import { deferred } from './deferred.js';
import { APIUserAbortError, DifyError, StreamEndedError, StreamIdleTimeoutError, type StreamProgress } from './errors.js';
import { EventStream } from './event-stream.js';
import { IdleWatchdog } from './idle-watchdog.js';
import { RunAccumulator, type WorkflowRunResult } from './run-result.js';
import { QuietRunCheck } from './stall-check.js';
import { toWorkflowEvent, type WorkflowEvent } from './workflow-events.js';
import type { WorkflowStreamOptions } from './workflow-stream-options.js';

export type { UnknownWorkflowEvent, WorkflowEvent } from './workflow-events.js';
export type { WorkflowRunResult } from './run-result.js';
export type { WorkflowStreamOptions } from './workflow-stream-options.js';

/** `O` is the outputs' shape when the caller knows it (`workflows.stream<{ answer: string }>(…)`). */
export class WorkflowStream<O extends object = JsonObject> implements AsyncIterable<WorkflowEvent<O>> {
  /** Known from the first event on. */
  taskId: string | undefined;
  /** Known from the first event on. */
  workflowRunId: string | undefined;
  /** Heartbeats (`event: ping`) received so far. */
  pingCount = 0;
  /** Data events received so far. */
  eventCount = 0;
  lastEvent: string | undefined;
  /** When (epoch ms) the response opened, the first ping came and `workflow_started` came. */
  openedAt: number | undefined;
  firstPingAt: number | undefined;
  startedAt: number | undefined;
  readonly user: string | undefined;
  /** The stream went quiet and its result was read from run detail (the run had already ended). */
  resultFromRunDetail = false;

  readonly #options: WorkflowStreamOptions;
  readonly #connection: EventStream;
  readonly #watchdog: IdleWatchdog;
  readonly #run = new RunAccumulator<O>();
  /** Built only when an error needs it, not once per event. */
  readonly #progressNow = () => this.progress;
  readonly #done = deferred<WorkflowRunResult<O>>();
  readonly #ids = deferred<string>();
  #detachSignal: (() => void) | undefined;
  #consumed = false;
  /** Events of the last network chunk not yet handed out, and an error to throw after them. */
  #buffer: WorkflowEvent<O>[] = [];
  #bufferIndex = 0;
  /** Where the read in progress puts the events it decodes. */
  #decoded: WorkflowEvent<O>[] = [];
  #pendingError: unknown;
  #ended = false;
  #quietCheck: QuietRunCheck<O> | undefined;

  constructor(options: WorkflowStreamOptions) {
    this.#options = options;
    this.user = options.user;
    this.#watchdog = new IdleWatchdog(
      { byteTimeout: options.streamIdleTimeout, eventTimeout: options.eventTimeout, startTimeout: options.startTimeout },
      (kind, timeoutMs) => this.#connection.abort(new StreamIdleTimeoutError(this.progress, timeoutMs, kind)),
    );
    const watchdog = this.#watchdog;
    if (options.getRun && options.stallCheckAfter) {
      const check = (this.#quietCheck = new QuietRunCheck<O>(options.getRun, (reason) => this.#connection.abort(reason)));
      watchdog.watchQuiet(options.stallCheckAfter, () => void check.check(this.workflowRunId, this.taskId, () => this.#ended));
    }
    this.#connection = new EventStream(
      options.open,
      {
        opened: () => {
          this.openedAt = Date.now();
          watchdog.arm();
        },
        readStarted: () => watchdog.readStarted(),
        readEnded: (gotBytes) => watchdog.readEnded(gotBytes),
        ping: () => this.#onPing(),
        event: (name, raw) => this.#onEvent(name, raw),
      },
      this.#progressNow,
      options.signal?.aborted ? new APIUserAbortError('The stream was aborted.') : undefined,
    );
    const userSignal = options.signal;
    if (userSignal && !userSignal.aborted) {
      // Removed in #cleanup: a long-lived signal shared by many streams must not collect listeners.
      const onAbort = () => this.abort();
      userSignal.addEventListener('abort', onAbort, { once: true });
      this.#detachSignal = () => userSignal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * True once `workflow_started` arrived. A stream that opened and pinged but has not started
   * is either queued behind Dify's workers or (real Dify) silently rejected.
   */
  get started(): boolean {
    return this.startedAt !== undefined;
  }

  /** HTTP attempts it took to open the stream. */
  get attempts(): number {
    return this.#connection.attempts;
  }

  get progress(): StreamProgress {
    return {
      taskId: this.taskId,
      workflowRunId: this.workflowRunId,
      lastEvent: this.lastEvent,
      eventCount: this.eventCount,
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<WorkflowEvent<O>> {
    if (this.#consumed) {
      throw new DifyError('This stream is already being consumed; iterate it once (finalResult() and text() can be awaited alongside).');
    }
    this.#consumed = true;
    return {
      next: () => this.#next(),
      return: async () => {
        // The consumer left the loop early (break/return): close the connection.
        if (!this.#done.settled) this.#fail(this.#connection.abortReason ?? new APIUserAbortError(), true);
        return { value: undefined, done: true };
      },
    };
  }

  /** Closes the connection. The run goes on server-side (use stop() to end it). */
  abort(): void {
    this.#connection.abort(new APIUserAbortError('The stream was aborted.'));
  }

  /**
   * Asks the server to stop the run (with this stream's task id and user). The stream then
   * ends normally with the server's final event (`workflow_finished` with status `stopped`).
   */
  async stop(): Promise<StopResponse> {
    const user = this.user;
    if (user === undefined) throw new DifyError('stop() needs the stream to have been opened with a user.');
    const taskId = this.taskId ?? (await Promise.race([this.#ids.promise, this.#done.promise.then(() => this.taskId)]));
    if (taskId === undefined) throw new DifyError('The stream ended before a task id was received.');
    return this.#options.stop(taskId, user);
  }

  /** The run's result, built from `workflow_finished` (or `workflow_paused`). Consumes the stream if nobody iterates it. */
  finalResult(): Promise<WorkflowRunResult<O>> {
    this.#drainIfIdle();
    return this.#done.promise;
  }

  /** All `text_chunk` text, honouring `text_replace`. Consumes the stream if nobody iterates it. */
  async text(): Promise<string> {
    this.#drainIfIdle();
    await this.#done.promise;
    return this.#run.text;
  }

  #drainIfIdle(): void {
    if (this.#consumed) return;
    this.#consumed = true;
    void (async () => {
      try {
        while ((await this.#readBatch()) !== null) {
          // Draining: the accumulator does the work.
        }
      } catch {
        // Delivered through #done by #readBatch.
      }
    })();
  }

  // One promise per event and none of an async generator's extra ticks: events decoded from
  // a network chunk are handed out from a buffer (see bench/sse-decode.ts).
  #next(): Promise<IteratorResult<WorkflowEvent<O>>> {
    // A buffered event needs no async function's frame, only the promise for-await expects.
    if (this.#bufferIndex < this.#buffer.length) return Promise.resolve({ value: this.#buffer[this.#bufferIndex++]!, done: false });
    return this.#nextFromNetwork();
  }

  async #nextFromNetwork(): Promise<IteratorResult<WorkflowEvent<O>>> {
    while (this.#bufferIndex >= this.#buffer.length) {
      const batch = await this.#readBatch();
      if (batch === null) return { value: undefined, done: true };
      this.#buffer = batch;
      this.#bufferIndex = 0;
    }
    return { value: this.#buffer[this.#bufferIndex++]!, done: false };
  }

  /**
   * Reads one network chunk and returns the events it completed ([] for none), or null once
   * the stream has ended with its terminal event. Throws (and settles #done) on any failure.
   */
  async #readBatch(): Promise<WorkflowEvent<O>[] | null> {
    if (this.#ended) return null;
    const events: WorkflowEvent<O>[] = [];
    this.#decoded = events;
    try {
      if (this.#pendingError !== undefined) throw this.#pendingError;
      let bodyEnded = false;
      try {
        bodyEnded = await this.#connection.read();
      } catch (error) {
        // A bad event mid-chunk: hand out the events before it first; the next read throws it.
        if (events.length === 0) throw error;
        this.#pendingError = error;
      }
      if (events.length > 0) this.#watchdog.sawEvent();
      if (bodyEnded && !this.#ended) throw new StreamEndedError(this.progress);
      return events;
    } catch (error) {
      const fromDetail = this.#quietCheck?.resultFor(error);
      if (fromDetail) {
        this.resultFromRunDetail = true;
        this.#finish(fromDetail); // the check already dropped the connection
        return null;
      }
      this.#fail(error, false);
      throw error;
    }
  }

  /**
   * One parsed event (called by the connection while it decodes a chunk) → a typed event,
   * counted, added to the run's result and to the read's events. A terminal event ends the
   * stream: the connection is closed and decodes no more of the chunk.
   */
  #onEvent(name: string, raw: Record<string, unknown>): void {
    if (this.eventCount === 0) this.#watchdog.sawStart();
    if (name === 'workflow_started') this.startedAt ??= Date.now();
    this.eventCount++;
    this.lastEvent = name;
    this.#captureIds(raw);
    const event = toWorkflowEvent<O>(name, raw, this.#progressNow);
    this.#run.add(event);
    this.#decoded.push(event);
    if (event.event === 'workflow_finished' || event.event === 'workflow_paused') this.#finish();
  }

  /** The terminal event arrived (or the quiet check found the run ended): release the connection and resolve. */
  #finish(result = this.#run.result!): void {
    this.#ended = true;
    this.#cleanup(false);
    this.#done.resolve(result);
  }

  #fail(error: unknown, abortedByConsumer: boolean): void {
    if (abortedByConsumer) this.#connection.abort(error as Error);
    this.#ended = true;
    this.#cleanup(true);
    this.#done.reject(error);
    this.#ids.reject(error);
  }

  #cleanup(abortConnection: boolean): void {
    this.#watchdog.disarm();
    this.#quietCheck?.cancel();
    this.#detachSignal?.();
    this.#detachSignal = undefined;
    this.#connection.close(abortConnection);
  }

  #captureIds(raw: Record<string, unknown>): void {
    if (this.taskId === undefined && typeof raw['task_id'] === 'string') {
      this.taskId = raw['task_id'];
      this.#ids.resolve(this.taskId);
    }
    if (this.workflowRunId === undefined && typeof raw['workflow_run_id'] === 'string') {
      this.workflowRunId = raw['workflow_run_id'];
    }
  }

  #onPing(): void {
    this.firstPingAt ??= Date.now();
    this.pingCount++;
    this.#watchdog.sawPing();
    this.#options.onPing?.();
  }
}
