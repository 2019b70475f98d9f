/**
 * Decodes a byte stream as strict UTF-8, failing with the line and column of the first invalid
 * byte and the encoding the bytes look like (Excel and legacy tools still produce Shift_JIS or
 * cp1252 files; garbage must not run). The fast path: files in other encodings go through
 * transcode.ts.
 */
import type { Readable } from 'node:stream';
import { InputError } from './input-error.js';

export async function* decodeUtf8(bytes: Readable, file: string, firstLine = 1): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = firstLine;
  let column = 1;
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of bytes as AsyncIterable<Uint8Array>) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      const joined = concat(pending, chunk);
      const bad = firstInvalidUtf8(joined);
      const before = new TextDecoder().decode(joined.subarray(0, bad));
      const at = advance(line, column, before);
      // Loaded only on this error path: UTF-8 input never pays for the detector.
      const { suggestEncoding } = await import('./encoding-guess.js');
      const hint = suggestEncoding(joined, 'utf-8') ?? 'save the file as UTF-8, or name its encoding with --encoding';
      throw new InputError(file, at.line, `invalid UTF-8 at column ${at.column} (${hint})`);
    }
    // Keep the bytes of an incomplete trailing character, to locate an error in the next chunk.
    pending = chunk.subarray(Math.max(0, chunk.length - 3));
    ({ line, column } = advance(line, column, text));
    if (text) yield text;
  }
  try {
    const tail = decoder.decode();
    if (tail) yield tail;
  } catch {
    throw new InputError(file, line, `invalid UTF-8 at column ${column}: the file ends inside a character`);
  }
}

export function advance(line: number, column: number, text: string): { line: number; column: number } {
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: last === -1 ? column + text.length : text.length - last };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if ((c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
