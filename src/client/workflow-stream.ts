/**
 * A workflow run's event stream: an AsyncIterable of typed events with the ids it has seen,
 * `abort()`, `stop()` (the server-side stop), `finalResult()` and `text()`.
 *
 * Terminal events: `workflow_finished` and `workflow_paused` end the iteration (the connection
 * is released); an `error` event throws `DifyStreamError`; any other end throws
 * `StreamEndedError` with the ids seen, so the caller can recover the run.
 */
import type {
  ErrorEvent,
  JsonObject,
  KnownWorkflowEvent,
  StopResponse,
  WorkflowBlockingResponse,
  WorkflowPausedEvent,
} from '../protocol/index.js';
import { WORKFLOW_EVENT_NAMES } from '../protocol/index.js';
import {
  APIUserAbortError,
  DifyError,
  DifyStreamError,
  StreamEndedError,
  StreamIdleTimeoutError,
  type StreamProgress,
} from './errors.js';
import { SSEDecoder, type SSEMessage } from './sse-decoder.js';
import type { OpenResponse } from './transport.js';

/** An event this SDK does not know yet, passed through with its JSON untouched. */
export interface UnknownWorkflowEvent {
  event: 'unknown';
  /** The event name the server sent. */
  name: string;
  data: unknown;
  raw: Record<string, unknown>;
}

/** What iterating a WorkflowStream yields (`error` events are thrown, not yielded). */
export type WorkflowEvent = Exclude<KnownWorkflowEvent, ErrorEvent> | UnknownWorkflowEvent;

/** The outcome of a run: the blocking response, or the same built from `workflow_finished`. */
export type WorkflowRunResult = WorkflowBlockingResponse;

export interface WorkflowStreamOptions {
  /** Opens the HTTP response; the signal aborts it. */
  open: (signal: AbortSignal) => Promise<OpenResponse>;
  /** Calls the stop endpoint (POST /workflows/tasks/{task_id}/stop). */
  stop: (taskId: string, user: string) => Promise<StopResponse>;
  user: string | undefined;
  /** No bytes at all for this long aborts the stream. */
  streamIdleTimeout: number;
  /** Pings but no event for this long aborts the stream (off when undefined). */
  eventTimeout?: number | undefined;
  onPing?: (() => void) | undefined;
  signal?: AbortSignal | undefined;
}

const KNOWN_EVENTS: ReadonlySet<string> = new Set(WORKFLOW_EVENT_NAMES);

export class WorkflowStream implements AsyncIterable<WorkflowEvent> {
  /** Known from the first event on. */
  taskId: string | undefined;
  /** Known from the first event on. */
  workflowRunId: string | undefined;
  /** Heartbeats (`event: ping`) received so far. */
  pingCount = 0;
  /** Data events received so far. */
  eventCount = 0;
  lastEvent: string | undefined;
  /** HTTP attempts it took to open the stream. */
  attempts = 0;
  readonly user: string | undefined;

  readonly #options: WorkflowStreamOptions;
  readonly #controller = new AbortController();
  #detachSignal: (() => void) | undefined;
  readonly #opening: Promise<OpenResponse>;
  #open: OpenResponse | undefined;
  #consumed = false;
  #failure: Error | undefined;
  #textParts: string[] = [];
  #result: WorkflowRunResult | undefined;
  #lastByteAt = 0;
  #lastEventAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #decoder = new SSEDecoder(() => this.#onPing());
  #buffer: WorkflowEvent[] = [];
  #bufferIndex = 0;
  #ended = false;
  #pendingError: unknown;
  /** Idle time only counts while we wait on the network, not while the consumer is busy. */
  #reading = false;
  #readEndedAt = 0;
  readonly #done = deferred<WorkflowRunResult>();
  readonly #ids = deferred<string>();

  constructor(options: WorkflowStreamOptions) {
    this.#options = options;
    this.user = options.user;
    const userSignal = options.signal;
    if (userSignal) {
      if (userSignal.aborted) this.abort();
      else {
        // Removed in #cleanup: a long-lived signal shared by many streams must not collect listeners.
        const onAbort = () => this.abort();
        userSignal.addEventListener('abort', onAbort, { once: true });
        this.#detachSignal = () => userSignal.removeEventListener('abort', onAbort);
      }
    }
    // Start at once, like a fetch; failures surface when the stream is consumed.
    this.#opening = options.open(this.#controller.signal).then((open) => {
      this.#open = open;
      this.attempts = open.attempts;
      if (this.#controller.signal.aborted) open.controller.abort();
      return open;
    });
    this.#opening.catch(() => {});
  }

  get progress(): StreamProgress {
    return {
      taskId: this.taskId,
      workflowRunId: this.workflowRunId,
      lastEvent: this.lastEvent,
      eventCount: this.eventCount,
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<WorkflowEvent> {
    if (this.#consumed) {
      throw new DifyError('This stream is already being consumed; iterate it once (finalResult() and text() can be awaited alongside).');
    }
    this.#consumed = true;
    return {
      next: () => this.#next(),
      return: async () => {
        // The consumer left the loop early (break/return): close the connection.
        if (!this.#done.settled) this.#fail(this.#failure ?? new APIUserAbortError(), true);
        return { value: undefined, done: true };
      },
    };
  }

  /** Closes the connection. The run goes on server-side (use stop() to end it). */
  abort(): void {
    this.#failure ??= new APIUserAbortError('The stream was aborted.');
    this.#controller.abort();
    this.#open?.controller.abort();
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
  finalResult(): Promise<WorkflowRunResult> {
    this.#drainIfIdle();
    return this.#done.promise;
  }

  /** All `text_chunk` text, honouring `text_replace`. Consumes the stream if nobody iterates it. */
  async text(): Promise<string> {
    this.#drainIfIdle();
    await this.#done.promise;
    return this.#textParts.join('');
  }

  #drainIfIdle(): void {
    if (this.#consumed) return;
    this.#consumed = true;
    void (async () => {
      try {
        while ((await this.#readBatch()) !== null) {
          // Draining: the accumulators do the work.
        }
      } catch {
        // Delivered through #done by #readBatch.
      }
    })();
  }

  // One promise per event and none of an async generator's extra ticks: events decoded from
  // a network chunk are handed out from a buffer (see bench/sse-decode.ts).
  async #next(): Promise<IteratorResult<WorkflowEvent>> {
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
  async #readBatch(): Promise<WorkflowEvent[] | null> {
    if (this.#ended) return null;
    try {
      if (this.#pendingError !== undefined) throw this.#pendingError;
      const reader = this.#reader ?? (await this.#startReading());
      let chunk: ReadableStreamReadResult<Uint8Array>;
      this.#discountConsumerTime();
      this.#reading = true;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw this.#failure ?? new StreamEndedError(this.progress, `the connection failed: ${describe(error)}`);
      } finally {
        this.#reading = false;
        this.#readEndedAt = Date.now();
      }
      if (this.#failure) throw this.#failure;
      if (chunk.done) {
        const events = this.#decodeAll(this.#decoder.end(), true);
        if (this.#ended) return events;
        throw new StreamEndedError(this.progress);
      }
      this.#lastByteAt = Date.now();
      return this.#decodeAll(this.#decoder.push(chunk.value), false);
    } catch (error) {
      this.#fail(error, false);
      throw error;
    }
  }

  async #startReading(): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    let open: OpenResponse;
    try {
      open = await this.#opening;
    } catch (error) {
      throw this.#failure ?? error;
    }
    if (this.#failure) throw this.#failure;
    const body = open.response.body;
    if (!body) throw new StreamEndedError(this.progress, 'the response had no body');
    this.#reader = body.getReader();
    this.#lastByteAt = this.#lastEventAt = Date.now();
    this.#armTimer();
    return this.#reader;
  }

  /** Decodes messages up to and including a terminal event, which ends the stream. */
  #decodeAll(messages: SSEMessage[], atEnd: boolean): WorkflowEvent[] {
    const events: WorkflowEvent[] = [];
    for (const message of messages) {
      let event: WorkflowEvent;
      try {
        event = this.#decode(message, atEnd);
      } catch (error) {
        // Hand out the events before the failure first; the next read throws it.
        if (events.length === 0) throw error;
        this.#pendingError = error;
        break;
      }
      events.push(event);
      if (event.event === 'workflow_finished' || event.event === 'workflow_paused') {
        this.#finish();
        break;
      }
    }
    if (events.length > 0) this.#lastEventAt = Date.now();
    return events;
  }

  /** The terminal event arrived: release the connection and resolve. */
  #finish(): void {
    this.#ended = true;
    this.#cleanup(false);
    this.#done.resolve(this.#result!);
  }

  #fail(error: unknown, abortedByConsumer: boolean): void {
    if (abortedByConsumer) this.abort();
    this.#ended = true;
    this.#cleanup(true);
    this.#done.reject(error);
    this.#ids.reject(error);
  }

  #cleanup(abortConnection: boolean): void {
    this.#clearTimer();
    this.#detachSignal?.();
    this.#detachSignal = undefined;
    if (abortConnection) this.#open?.controller.abort();
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader) {
      reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    this.#open?.release();
  }

  /** Parses one SSE message into an event; throws for `error` events. */
  #decode(message: SSEMessage, atEnd: boolean): WorkflowEvent {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.data);
    } catch {
      // A torn last frame is a dropped connection; a bad frame mid-stream is a server fault.
      if (atEnd) throw new StreamEndedError(this.progress, 'the last event was cut off');
      throw new DifyError(`The server sent an event that is not JSON: ${message.data.slice(0, 120)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new DifyError(`The server sent an event that is not a JSON object: ${message.data.slice(0, 120)}`);
    }
    const raw = parsed as Record<string, unknown>;
    const name = typeof raw['event'] === 'string' ? raw['event'] : message.event ?? 'message';
    this.eventCount++;
    this.lastEvent = name;
    this.#captureIds(raw);

    if (name === 'error') {
      const error = raw as unknown as ErrorEvent;
      throw new DifyStreamError(
        typeof error.message === 'string' ? error.message : 'The workflow stream reported an error',
        typeof error.code === 'string' ? error.code : undefined,
        typeof error.status === 'number' ? error.status : undefined,
        this.progress,
      );
    }
    if (!KNOWN_EVENTS.has(name)) return { event: 'unknown', name, data: raw['data'], raw };
    const event = raw as unknown as WorkflowEvent;
    this.#accumulate(event);
    return event;
  }

  #captureIds(raw: Record<string, unknown>): void {
    if (this.taskId === undefined && typeof raw['task_id'] === 'string') this.taskId = raw['task_id'];
    if (this.workflowRunId === undefined && typeof raw['workflow_run_id'] === 'string') {
      this.workflowRunId = raw['workflow_run_id'];
    }
    if (this.taskId !== undefined) this.#ids.resolve(this.taskId);
  }

  #accumulate(event: WorkflowEvent): void {
    switch (event.event) {
      case 'text_chunk':
        this.#textParts.push(event.data.text);
        break;
      case 'text_replace':
        this.#textParts = [event.data.text];
        break;
      case 'workflow_finished':
        this.#result = { task_id: event.task_id, workflow_run_id: event.workflow_run_id, data: event.data };
        break;
      case 'workflow_paused':
        this.#result = resultFromPause(event);
        break;
      default:
        break;
    }
  }

  #onPing(): void {
    this.pingCount++;
    this.#options.onPing?.();
  }

  /** Time the consumer spent between reads is not the server's silence: move the marks forward. */
  #discountConsumerTime(): void {
    if (this.#readEndedAt === 0) return;
    const busy = Date.now() - this.#readEndedAt;
    this.#lastByteAt += busy;
    this.#lastEventAt += busy;
  }

  #armTimer(): void {
    const idle = this.#options.streamIdleTimeout;
    const eventTimeout = this.#options.eventTimeout;
    let due = this.#lastByteAt + idle;
    if (eventTimeout !== undefined) due = Math.min(due, this.#lastEventAt + eventTimeout);
    this.#timer = setTimeout(() => this.#checkIdle(), Math.max(0, due - Date.now()) + 1);
  }

  #checkIdle(): void {
    if (!this.#reading) return this.#armTimer();
    const now = Date.now();
    const eventTimeout = this.#options.eventTimeout;
    if (now - this.#lastByteAt >= this.#options.streamIdleTimeout) {
      this.#timeOut(new StreamIdleTimeoutError(this.progress, this.#options.streamIdleTimeout, 'bytes'));
    } else if (eventTimeout !== undefined && now - this.#lastEventAt >= eventTimeout) {
      this.#timeOut(new StreamIdleTimeoutError(this.progress, eventTimeout, 'events'));
    } else {
      this.#armTimer();
    }
  }

  #timeOut(error: StreamIdleTimeoutError): void {
    this.#failure ??= error;
    this.#open?.controller.abort();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function resultFromPause(event: WorkflowPausedEvent): WorkflowRunResult {
  const d = event.data;
  return {
    task_id: event.task_id,
    workflow_run_id: event.workflow_run_id,
    data: {
      id: event.workflow_run_id,
      workflow_id: typeof d['workflow_id'] === 'string' ? d['workflow_id'] : '',
      status: 'paused',
      outputs: (d.outputs ?? {}) as JsonObject,
      error: null,
      elapsed_time: d.elapsed_time,
      total_tokens: d.total_tokens,
      total_steps: d.total_steps,
      created_at: d.created_at,
      finished_at: null,
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  readonly settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let settled = false;
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = (value) => {
      if (settled) return;
      settled = true;
      res(value);
    };
    reject = (error) => {
      if (settled) return;
      settled = true;
      rej(error);
    };
  });
  promise.catch(() => {});
  return {
    promise,
    resolve,
    reject,
    get settled() {
      return settled;
    },
  };
}
