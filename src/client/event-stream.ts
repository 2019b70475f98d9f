/**
 * The connection under a stream: SSE bytes in, parsed JSON events out. It opens the response
 * at once (like a fetch), reads the body one network chunk at a time and hands each event the
 * chunk completed to its observer as it is parsed (no array or wrapper object per event: this is
 * the SDK's hottest path). It knows nothing of Dify's event names; the workflow layer above does.
 *
 * State: opening → reading → closed. The first reason it is aborted for (the consumer, the
 * idle watchdog) is what every later read throws.
 */
import { DifyError, StreamEndedError, type StreamProgress } from './errors.js';
import { SSEFramer } from './sse-decoder.js';
import type { OpenResponse } from './transport.js';

/** Who is told about events, reads and heartbeats (the workflow layer, the idle watchdog, the ping counter). */
export interface ConnectionObserver {
  /** The response headers arrived (a 2xx). */
  opened(): void;
  readStarted(): void;
  readEnded(gotBytes: boolean): void;
  ping(): void;
  /**
   * One event, parsed: `name` is the JSON's `event` key, else the SSE `event:` field, else
   * "message". What this throws ends the read that decoded the event (the rest of its chunk
   * is not decoded): the observer keeps the events it already took.
   */
  event(name: string, raw: Record<string, unknown>): void;
}

/** How long the end of a body is awaited after the run's last event before the connection is cut. */
const DRAIN_MS = 1000;

export class EventStream {
  readonly #controller = new AbortController();
  readonly #opening: Promise<OpenResponse>;
  readonly #observer: ConnectionObserver;
  readonly #progress: () => StreamProgress;
  readonly #framer: SSEFramer;
  #open: OpenResponse | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #abortReason: Error | undefined;
  /** The body has ended: a frame that fails to parse now was cut off. */
  #bodyEnded = false;
  /** Closed by its owner (the run ended): the rest of a chunk being decoded is not its events. */
  #closed = false;

  /** `abortedBefore`: the caller's signal had already fired, so nothing may be sent. */
  constructor(open: (signal: AbortSignal) => Promise<OpenResponse>, observer: ConnectionObserver, progress: () => StreamProgress, abortedBefore?: Error) {
    this.#observer = observer;
    this.#progress = progress;
    this.#framer = new SSEFramer({
      message: (event, data) => {
        if (this.#closed) return;
        const raw = parseEvent(data, this.#bodyEnded, progress);
        observer.event(eventName(raw, event), raw);
      },
      ping: () => observer.ping(),
    });
    if (abortedBefore) this.abort(abortedBefore);
    this.#opening = open(this.#controller.signal).then((response) => {
      this.#open = response;
      if (this.#controller.signal.aborted) response.controller.abort();
      else observer.opened();
      return response;
    });
    // Failures surface when the stream is read.
    this.#opening.catch(() => {});
  }

  /** HTTP attempts it took to open the response (0 until it opened). */
  get attempts(): number {
    return this.#open?.attempts ?? 0;
  }

  /** Why the connection was aborted, if it was. */
  get abortReason(): Error | undefined {
    return this.#abortReason;
  }

  /** Closes the connection; the first reason given is what reads throw from now on. */
  abort(reason: Error): void {
    this.#abortReason ??= reason;
    this.#controller.abort();
    this.#open?.controller.abort();
  }

  /** Reads one network chunk and hands the events it completed to the observer; true once the body has ended. */
  async read(): Promise<boolean> {
    const reader = this.#reader ?? (await this.#startReading());
    let chunk: ReadableStreamReadResult<Uint8Array>;
    this.#observer.readStarted();
    try {
      chunk = await reader.read();
    } catch (error) {
      this.#observer.readEnded(false);
      throw this.#abortReason ?? new StreamEndedError(this.#progress(), `the connection failed: ${describe(error)}`);
    }
    this.#observer.readEnded(!chunk.done);
    if (this.#abortReason) throw this.#abortReason;
    this.#bodyEnded = chunk.done;
    if (chunk.done) this.#framer.end();
    else this.#framer.push(chunk.value);
    return chunk.done;
  }

  /**
   * Releases the response; `abortConnection` also drops the socket (the run was not finished).
   * After the run's last event the server ends the body at once: its end is read in the
   * background rather than cancelled (a cancel aborts the fetch, which costs more CPU per run
   * than the rest of closing, and loses the connection for reuse).
   */
  close(abortConnection: boolean): void {
    this.#closed = true;
    if (abortConnection) this.#open?.controller.abort();
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader && !abortConnection && !this.#bodyEnded) void drain(reader);
    else if (reader) {
      if (!this.#bodyEnded) reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    this.#open?.release();
  }

  async #startReading(): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    let open: OpenResponse;
    try {
      open = await this.#opening;
    } catch (error) {
      throw this.#abortReason ?? error;
    }
    if (this.#abortReason) throw this.#abortReason;
    const body = open.response.body;
    if (!body) throw new StreamEndedError(this.#progress(), 'the response had no body');
    this.#reader = body.getReader();
    return this.#reader;
  }
}

/**
 * Parses one SSE message's data as a JSON object. A torn frame at the end of the body is a
 * dropped connection (StreamEndedError); a bad frame mid-stream is a server fault (DifyError).
 */
export function parseEvent(data: string, atEnd: boolean, progress: () => StreamProgress): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    if (atEnd) throw new StreamEndedError(progress(), 'the last event was cut off');
    throw new DifyError(`The server sent an event that is not JSON: ${data.slice(0, 120)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DifyError(`The server sent an event that is not a JSON object: ${data.slice(0, 120)}`);
  }
  return parsed as Record<string, unknown>;
}

/** An event's name: the JSON's `event` key, else the SSE `event:` field, else "message". */
export function eventName(raw: Record<string, unknown>, sseEvent: string | undefined): string {
  const name = raw['event'];
  return typeof name === 'string' ? name : (sseEvent ?? 'message');
}

/** Reads a body to its end (cancelled if it has not ended within DRAIN_MS), then releases it. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const giveUp = setTimeout(() => void reader.cancel().catch(() => {}), DRAIN_MS);
  try {
    while (!(await reader.read()).done) {
      // Whatever the server sends after the last event is not ours to read.
    }
  } catch {
    // Cancelled, or the connection failed: either way it is over.
  } finally {
    clearTimeout(giveUp);
    reader.releaseLock();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
