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

export class SSEDecoder {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #parser: EventSourceParser;
  readonly #onPing: () => void;
  #messages: SSEMessage[] = [];
  /** Start of the current, incomplete line (kept only while it could still be a ping line). */
  #lineHead = '';
  /** True when the current line began in text we no longer hold (so it is not a ping). */
  #midLine = false;

  constructor(onPing: () => void = () => {}) {
    this.#onPing = onPing;
    this.#parser = createParser({
      onEvent: (message) => {
        this.#messages.push({ event: message.event, data: message.data });
      },
    });
  }

  /** Feeds one network chunk; returns the messages it completed. */
  push(bytes: Uint8Array): SSEMessage[] {
    const text = this.#decoder.decode(bytes, { stream: true });
    if (text.length === 0) return [];
    this.#scanPings(text);
    this.#parser.feed(text);
    return this.#take();
  }

  /** Ends the stream: flushes the decoder and dispatches an unterminated final event. */
  end(): SSEMessage[] {
    const rest = this.#decoder.decode();
    const text = `${rest}\n\n`;
    this.#scanPings(text);
    this.#parser.feed(text);
    return this.#take();
  }

  #take(): SSEMessage[] {
    if (this.#messages.length === 0) return [];
    const out = this.#messages;
    this.#messages = [];
    return out;
  }

  #scanPings(text: string): void {
    const s = this.#lineHead + text;
    const startsAtLineStart = !this.#midLine;
    let i = s.indexOf('event:');
    while (i !== -1) {
      const before = i === 0 ? -1 : s.charCodeAt(i - 1);
      const atLineStart = i === 0 ? startsAtLineStart : before === 10 || before === 13;
      if (atLineStart) {
        const lineEnd = firstLineBreak(s, i + 6);
        if (lineEnd === -1) break; // the line is not complete yet: it stays in #lineHead
        const value = s.slice(i + 6, lineEnd);
        if (value === 'ping' || value === ' ping') this.#onPing();
      }
      i = s.indexOf('event:', i + 6);
    }
    const lastBreak = Math.max(s.lastIndexOf('\n'), s.lastIndexOf('\r'));
    const head = s.slice(lastBreak + 1);
    const headStartsLine = lastBreak !== -1 || startsAtLineStart;
    if (headStartsLine && head.length <= MAX_PING_LINE) {
      this.#lineHead = head;
      this.#midLine = false;
    } else {
      this.#lineHead = '';
      this.#midLine = true;
    }
  }
}

function firstLineBreak(s: string, from: number): number {
  const lf = s.indexOf('\n', from);
  const cr = s.indexOf('\r', from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}
