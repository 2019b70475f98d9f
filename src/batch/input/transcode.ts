/**
 * Decodes a byte stream in a legacy or UTF-16 encoding (iconv-lite), failing on the first byte
 * sequence the encoding cannot map, with its line and column and the encoding the bytes look like.
 */
import iconv from 'iconv-lite';
import type { Readable } from 'node:stream';
import { suggestEncoding } from './encoding-guess.js';
import { InputError } from './input-error.js';
import { advance } from './utf8-lines.js';

/** Decoded text of `bytes` (which start after any byte-order mark), dropping the first `skip` characters. */
export async function* transcode(bytes: Readable, file: string, encoding: string, skip = 0): AsyncGenerator<string> {
  // iconv-lite marks what it cannot map with U+FFFD; that character exists in none of these
  // encodings except GB18030 and UTF-16, so seeing it means the bytes were not in the encoding.
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  const strict = !/^(utf-?16|gb-?18030)/i.test(encoding);
  const wide = /^utf-?16/i.test(encoding);
  let position = { line: 1, column: 1 };
  let byteCount = 0;
  let toSkip = skip;
  for await (const chunk of bytes as AsyncIterable<Buffer>) {
    byteCount += chunk.length;
    let text = decoder.write(chunk);
    const bad = strict ? text.indexOf('\uFFFD') : -1;
    if (bad !== -1) {
      const at = advance(position.line, position.column, text.slice(0, bad));
      const hint = suggestEncoding(chunk, encoding) ?? 'check which encoding the file was saved in';
      throw new InputError(file, at.line, `not valid ${encoding} at column ${at.column} (${hint})`);
    }
    position = advance(position.line, position.column, text);
    if (toSkip > 0) {
      const dropped = Math.min(toSkip, text.length);
      text = text.slice(dropped);
      toSkip -= dropped;
    }
    if (text) yield text;
  }
  const tail = decoder.end() ?? '';
  if ((wide && byteCount % 2 === 1) || (strict && tail.includes('\uFFFD'))) {
    throw new InputError(file, position.line, `not valid ${encoding} at column ${position.column}: the file ends inside a character`);
  }
  if (tail && toSkip < tail.length) yield tail.slice(toSkip);
}
