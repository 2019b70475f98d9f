/**
 * An input file as text: its encoding found by byte-order mark (UTF-8, UTF-16LE, UTF-16BE) or
 * given with --encoding, else UTF-8; files that are not text (a workbook named .csv, UTF-16
 * without a BOM) refused with what they look like.
 *
 * Positions: a UTF-8 file is read from a byte offset (a resumed run seeks there, the fast path);
 * a transcoded file counts positions in decoded characters and is decoded from its start again
 * (legacy encodings have no cheap way back from characters to bytes).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from './input-error.js';
import { isUtf8 } from './input-options.js';
import { decodeUtf8 } from './utf8-lines.js';

/** Where a text file's content starts and how it is decoded: found once, carried by resume points. */
export interface TextEncoding {
  /** The encoding in use: "utf-8" or an iconv-lite name. */
  name: string;
  /** Bytes of the byte-order mark skipped at the top. */
  bomBytes: number;
}

export interface TextSource {
  chunks: AsyncIterable<string>;
  encoding: TextEncoding;
  /** The size of decoded text in this source's position units (bytes for UTF-8, characters otherwise). */
  measure(text: string): number;
  close(): void;
}

const BOMS: [string, number[]][] = [
  ['utf-8', [0xef, 0xbb, 0xbf]],
  ['utf-16le', [0xff, 0xfe]],
  ['utf-16be', [0xfe, 0xff]],
];

/** Opens `file` as text from `position` (in the encoding's units, after the BOM); the encoding is found when not given. */
export async function openText(
  file: string,
  requested: string | undefined,
  from?: { encoding: TextEncoding; position: number; line: number },
): Promise<TextSource> {
  const encoding = from?.encoding ?? (await sniff(file, requested));
  const utf8 = isUtf8(encoding.name);
  const bytes = createReadStream(file, { start: encoding.bomBytes + (utf8 ? (from?.position ?? 0) : 0) });
  await new Promise<void>((resolve, reject) => {
    bytes.once('open', () => resolve());
    bytes.once('error', (error: NodeJS.ErrnoException) =>
      reject(new InputError(file, undefined, `cannot read the input file (${error.code ?? error.message})`)),
    );
  });
  return {
    // iconv-lite is loaded only for files that need it.
    chunks: utf8 ? decodeUtf8(bytes, file, from?.line ?? 1) : (await import('./transcode.js')).transcode(bytes, file, encoding.name, from?.position ?? 0),
    encoding,
    measure: utf8 ? (text) => Buffer.byteLength(text) : (text) => text.length,
    close: () => bytes.destroy(),
  };
}

async function sniff(file: string, requested: string | undefined): Promise<TextEncoding> {
  const head = await readHead(file, 4096);
  const fail = (message: string): never => {
    throw new InputError(file, undefined, message);
  };
  for (const [name, mark] of BOMS) {
    if (!mark.every((byte, i) => head[i] === byte)) continue;
    if (requested !== undefined && !sameEncoding(requested, name))
      fail(`the file starts with a ${name.toUpperCase()} byte-order mark but --encoding is ${requested} (leave out --encoding)`);
    return { name, bomBytes: mark.length };
  }
  if (isZip(head)) fail('this is a zip file, not text: an Excel workbook? Name it .xlsx to read its first sheet');
  if (isOldExcel(head)) fail(OLD_EXCEL);
  if (requested === undefined) {
    const nul = head.indexOf(0);
    if (nul !== -1) {
      const guess = nul % 2 === 1 ? 'utf-16le' : 'utf-16be';
      const line = countLines(head.subarray(0, nul));
      throw new InputError(file, line, `a NUL byte: this looks like ${guess.toUpperCase()} text without a byte-order mark: try --encoding ${guess}`);
    }
  }
  return { name: requested ?? 'utf-8', bomBytes: 0 };
}

export const OLD_EXCEL = 'this is an old Excel .xls workbook: save it as .xlsx or as CSV UTF-8';

/** An .xlsx workbook is a zip file. */
export function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

export function isOldExcel(head: Uint8Array): boolean {
  return head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0;
}

function sameEncoding(a: string, b: string): boolean {
  const norm = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
  // Plain "utf-16" reads either byte order by the mark.
  return norm(a) === norm(b) || (norm(a) === 'utf16' && norm(b).startsWith('utf16'));
}

/** The first `size` bytes of a file (fewer when it is shorter). */
export async function readHead(file: string, size: number): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new InputError(file, undefined, `cannot read the input file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const buffer = new Uint8Array(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function countLines(bytes: Uint8Array): number {
  let lines = 1;
  for (const byte of bytes) if (byte === 0x0a) lines++;
  return lines;
}
