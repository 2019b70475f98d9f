/**
 * Reads a (possibly huge) JSONL file as byte ranges, one per non-blank line, without building a
 * string per line: resuming over a million-line output must take seconds, not tens of seconds.
 */
import { open, stat } from 'node:fs/promises';

export interface LineVisit {
  /** Holds the line's bytes at [start, end): valid only during the call. */
  buffer: Buffer;
  start: number;
  /** Excludes the line end (LF or CRLF). */
  end: number;
  /** 1-based line number in the file. */
  line: number;
  /** Where the line starts in the file, in bytes. */
  offset: number;
}

const CHUNK = 1 << 20;

/** Calls `visit` for each non-blank line; returns whether the file began with a UTF-8 BOM (which is skipped). A missing file has no lines. */
export async function forEachLine(path: string, visit: (line: LineVisit) => void | Promise<void>): Promise<{ lines: number; bom: boolean } | undefined> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let buffer: Buffer = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  /** The file offset of buffer[0]. */
  let base = 0;
  let line = 0;
  let bom = false;
  let first = true;
  try {
    for (;;) {
      if (filled === buffer.length) buffer = grow(buffer); // one line longer than the buffer
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, null);
      const atEnd = bytesRead === 0;
      filled += bytesRead;
      let start = 0;
      if (first && filled >= 3) {
        first = false;
        bom = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
        if (bom) start = 3;
      }
      for (;;) {
        let newline = buffer.indexOf(10, start);
        if (newline === -1 || newline >= filled) {
          if (!atEnd) break;
          if (start >= filled) break;
          newline = filled; // the last line has no line end
        }
        line++;
        let end = newline;
        if (end > start && buffer[end - 1] === 13) end--;
        if (!isBlank(buffer, start, end)) await visit({ buffer, start, end, line, offset: base + start });
        start = newline + 1;
      }
      if (atEnd) return { lines: line, bom };
      buffer.copy(buffer, 0, start, filled); // keep the partial last line
      filled -= start;
      base += start;
    }
  } finally {
    await file.close();
  }
}

function grow(buffer: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(bigger);
  return bigger;
}

function isBlank(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = buffer[i]!;
    if (byte !== 32 && byte !== 9 && byte !== 13) return false;
  }
  return true;
}

/** The file's size in bytes (0 when it does not exist). */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Lines read before the file's line count is estimated from their average length. */
const SAMPLE_LINES = 2048;

/**
 * Estimates how many lines (and bytes of id per line) a file holds from its first lines, so a
 * table filled from all of them can be sized once instead of growing by copies. Answers once.
 */
export class SizeFromSample {
  #idBytes = 0;
  #answered = false;

  constructor(private readonly totalBytes: number) {}

  /** Called per line with its 1-based number, its byte offset and the bytes of its id. */
  sample(line: number, offset: number, idBytes: number): { count: number; bytesEach: number } | undefined {
    if (this.#answered) return undefined;
    this.#idBytes += idBytes;
    if (line < SAMPLE_LINES || offset <= 0) return undefined;
    this.#answered = true;
    const bytesPerLine = offset / (line - 1);
    // A little over the average: undershooting costs a copy, overshooting only a few percent of idle room.
    return { count: Math.ceil((this.totalBytes / bytesPerLine) * 1.05), bytesEach: (this.#idBytes / line) * 1.05 };
  }
}
