/**
 * Bytes → SSE messages, for Dify's streams. Framing is eventsource-parser's (CRLF, lone CR,
 * comments, multi-line data); this wrapper adds what Dify needs on top:
 * - one persistent UTF-8 decoder per stream, so a character split across chunks survives;
 * - `event: ping` frames, which have no data line and so never reach the parser's onEvent,
 *   are noticed and counted as heartbeats;
 * - a final event without its trailing blank line is still delivered at end of stream.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SSEMessage {
  /** The `event:` field, if the frame had one (Dify's data frames do not). */
  event: string | undefined;
  data: string;
}

/** Longest incomplete line worth remembering: "event: ping" plus slack. */
const MAX_PING_LINE = 16;

/** Where an SSEFramer hands each message and heartbeat as it completes. */
export interface FrameSink {
  message(event: string | undefined, data: string): void;
  ping(): void;
}

/**
 * The decoding itself, handing messages to a sink as the parser completes them: no object or
 * array per message (a stream's events go straight on to JSON.parse; see bench/sse-decode.ts).
 */
export class SSEFramer {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #parser: EventSourceParser;
  readonly #onPing: () => void;
  /** Start of the current, incomplete line (kept only while it could still be a ping line). */
  #lineHead = '';
  /** True when the current line began in text we no longer hold (so it is not a ping). */
  #midLine = false;

  constructor(sink: FrameSink) {
    this.#onPing = () => sink.ping();
    this.#parser = createParser({ onEvent: (message) => sink.message(message.event, message.data) });
  }

  /** Feeds one network chunk: its pings, then the messages it completed, go to the sink. */
  push(bytes: Uint8Array): void {
    const text = this.#decoder.decode(bytes, { stream: true });
    if (text.length === 0) return;
    this.#scanPings(text);
    this.#parser.feed(text);
  }

  /** Ends the stream: flushes the decoder and dispatches an unterminated final event. */
  end(): void {
    const text = `${this.#decoder.decode()}\n\n`;
    this.#scanPings(text);
    this.#parser.feed(text);
  }

  #scanPings(text: string): void {
    // The line carried over from the last chunk is checked on its own, so the chunk itself
    // is never copied into a new string.
    let from = 0;
    if (this.#lineHead !== '' || this.#midLine) {
      const end = firstLineBreak(text, 0);
      if (end === -1) {
        this.#carry(this.#lineHead + text, this.#midLine);
        return;
      }
      if (!this.#midLine && isPingLine(this.#lineHead + text.slice(0, end))) this.#onPing();
      from = end + 1;
    }
    // 'ping' is searched for, not 'event:': 'p' is rare in JSON where 'e' starts half its keys,
    // and the search stops at each first letter (bench/sse-decode.ts: a third of the time).
    let i = text.indexOf('ping', from);
    while (i !== -1) {
      const end = i + 4;
      if (end === text.length) break; // incomplete: carried below
      const next = text.charCodeAt(end);
      if ((next === 10 || next === 13) && isPingLineAt(text, i, from)) this.#onPing();
      i = text.indexOf('ping', end);
    }
    const lastBreak = lastLineBreak(text, from);
    if (lastBreak === -1) this.#carry(text.slice(from), false);
    else this.#carry(text.slice(lastBreak + 1), false);
  }

  /** Remembers the start of an incomplete line while it could still become a ping line. */
  #carry(head: string, midLine: boolean): void {
    if (!midLine && head.length <= MAX_PING_LINE) {
      this.#lineHead = head;
      this.#midLine = false;
    } else {
      this.#lineHead = '';
      this.#midLine = true;
    }
  }
}

/** Bytes → SSE messages, handed back per network chunk. */
export class SSEDecoder {
  readonly #framer: SSEFramer;
  #messages: SSEMessage[] = [];

  constructor(onPing: () => void = () => {}) {
    this.#framer = new SSEFramer({ message: (event, data) => void this.#messages.push({ event, data }), ping: onPing });
  }

  /** Feeds one network chunk; returns the messages it completed. */
  push(bytes: Uint8Array): SSEMessage[] {
    this.#framer.push(bytes);
    return this.#take();
  }

  /** Ends the stream: flushes the decoder and returns an unterminated final event. */
  end(): SSEMessage[] {
    this.#framer.end();
    return this.#take();
  }

  #take(): SSEMessage[] {
    if (this.#messages.length === 0) return [];
    const out = this.#messages;
    this.#messages = [];
    return out;
  }
}

function isPingLine(line: string): boolean {
  return line === 'event: ping' || line === 'event:ping';
}

/**
 * Whether the 'ping' at `at` (a line break after it) ends a line that is exactly "event: ping"
 * or "event:ping" and starts at or after `from` (a chunk's first line may have begun earlier).
 */
function isPingLineAt(s: string, at: number, from: number): boolean {
  const start = s.charCodeAt(at - 1) === 32 ? at - 7 : at - 6;
  if (start < from || !s.startsWith('event:', start)) return false;
  const before = start === 0 ? 10 : s.charCodeAt(start - 1);
  return before === 10 || before === 13;
}

/** Index of the last CR or LF at or after `from`, scanning back from the end (lines are short). */
function lastLineBreak(s: string, from: number): number {
  for (let j = s.length - 1; j >= from; j--) {
    const c = s.charCodeAt(j);
    if (c === 10 || c === 13) return j;
  }
  return -1;
}

/** Index of the first CR or LF at or after `from`: a loop that stops there (two indexOf calls would each scan the whole chunk when one kind is absent). */
function firstLineBreak(s: string, from: number): number {
  for (let j = from; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 10 || c === 13) return j;
  }
  return -1;
}
