/**
 * The connection under a stream: SSE bytes in, parsed JSON events out. It opens the response
 * at once (like a fetch), reads the body one network chunk at a time and hands back the events
 * each chunk completed. It knows nothing of Dify's event names; the workflow layer above does.
 *
 * State: opening → reading → closed. The first reason it is aborted for (the consumer, the
 * idle watchdog) is what every later read throws.
 */
import { DifyError, StreamEndedError, type StreamProgress } from './errors.js';
import { SSEDecoder, type SSEMessage } from './sse-decoder.js';
import type { OpenResponse } from './transport.js';

/** One SSE message parsed as a JSON object, with its event name. */
export interface RawEvent {
  /** The JSON's `event` key, else the SSE `event:` field, else "message". */
  name: string;
  raw: Record<string, unknown>;
}

/** Who is told about reads and heartbeats (the idle watchdog, the ping counter). */
export interface ConnectionObserver {
  /** The response headers arrived (a 2xx). */
  opened(): void;
  readStarted(): void;
  readEnded(gotBytes: boolean): void;
  ping(): void;
}

/** What one read produced: the messages of one network chunk, and whether the body ended. */
export interface ChunkRead {
  messages: SSEMessage[];
  ended: boolean;
}

/** How long the end of a body is awaited after the run's last event before the connection is cut. */
const DRAIN_MS = 1000;

export class EventStream {
  readonly #controller = new AbortController();
  readonly #opening: Promise<OpenResponse>;
  readonly #observer: ConnectionObserver;
  readonly #progress: () => StreamProgress;
  readonly #decoder: SSEDecoder;
  #open: OpenResponse | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #abortReason: Error | undefined;
  #bodyEnded = false;

  /** `abortedBefore`: the caller's signal had already fired, so nothing may be sent. */
  constructor(open: (signal: AbortSignal) => Promise<OpenResponse>, observer: ConnectionObserver, progress: () => StreamProgress, abortedBefore?: Error) {
    this.#observer = observer;
    this.#progress = progress;
    this.#decoder = new SSEDecoder(() => observer.ping());
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

  /** Reads one network chunk and returns the SSE messages it completed. */
  async read(): Promise<ChunkRead> {
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
    if (chunk.done) return { messages: this.#decoder.end(), ended: true };
    return { messages: this.#decoder.push(chunk.value), ended: false };
  }

  /**
   * Releases the response; `abortConnection` also drops the socket (the run was not finished).
   * After the run's last event the server ends the body at once: its end is read in the
   * background rather than cancelled (a cancel aborts the fetch, which costs more CPU per run
   * than the rest of closing, and loses the connection for reuse).
   */
  close(abortConnection: boolean): void {
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
 * Parses one SSE message as a JSON object. A torn frame at the end of the body is a dropped
 * connection (StreamEndedError); a bad frame mid-stream is a server fault (DifyError).
 */
export function parseEvent(message: SSEMessage, atEnd: boolean, progress: () => StreamProgress): RawEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.data);
  } catch {
    if (atEnd) throw new StreamEndedError(progress(), 'the last event was cut off');
    throw new DifyError(`The server sent an event that is not JSON: ${message.data.slice(0, 120)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DifyError(`The server sent an event that is not a JSON object: ${message.data.slice(0, 120)}`);
  }
  const raw = parsed as Record<string, unknown>;
  const name = typeof raw['event'] === 'string' ? raw['event'] : (message.event ?? 'message');
  return { name, raw };
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
