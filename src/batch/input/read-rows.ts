/**
 * Reads batch input as a stream of rows: CSV (header required, `id` first) or JSONL
 * (`{"id", "inputs": {...}}` or a flat object with `id`). Memory stays flat: rows are yielded
 * one at a time with the line they start on, for error messages.
 *
 * Row-level problems (ragged rows, bad JSON lines) are yielded as `problem` items so a caller
 * can report all of them; problems that make the whole file unreadable are thrown.
 */
import { createReadStream } from 'node:fs';
import Papa from 'papaparse';
import { decodeUtf8 } from './utf8-lines.js';
import { InputError } from './input-error.js';

export type InputFormat = 'csv' | 'jsonl';

export interface InputRow {
  kind: 'row';
  id: string;
  line: number;
  /** Input values by variable name (without `id`). CSV values are strings; JSONL values are typed. */
  values: Record<string, unknown>;
}

export interface RowProblem {
  kind: 'problem';
  line: number;
  message: string;
}

export type InputItem = InputRow | RowProblem;

export function inputFormatOf(file: string): InputFormat {
  return /\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'csv';
}

/** Where a batch starts in the file, so a later pass can begin there instead of at the top. */
export interface ResumePoint {
  byte: number;
  line: number;
  /** CSV: the header and line ending already read (undefined at the top of the file). */
  header?: string[] | undefined;
  newline?: LineEnding | undefined;
}

export interface RowBatch {
  items: InputItem[];
  start: ResumePoint;
}

/**
 * Rows (and row-level problems) of a CSV or JSONL file in file order, a read chunk's worth at a
 * time (a million rows cost a few thousand awaits, not a million), each batch with the point it
 * starts at; `from` starts at such a point. Throws InputError when the file as a whole is unusable.
 */
export async function* readRowBatches(file: string, format: InputFormat = inputFormatOf(file), from?: ResumePoint): AsyncGenerator<RowBatch> {
  // 64 KiB reads (Node's default): larger batches keep more rows alive at once, and a million-row
  // scan then peaks tens of MB higher (BENCHMARKS.md notes) without being faster.
  const bytes = createReadStream(file, { start: from?.byte ?? 0 });
  const opened = new Promise<void>((resolve, reject) => {
    bytes.once('open', () => resolve());
    bytes.once('error', (error: NodeJS.ErrnoException) => reject(new InputError(file, undefined, `cannot read the input file (${error.code ?? error.message})`)));
  });
  await opened;
  const text = decodeUtf8(bytes, file, from?.line ?? 1);
  const at = from ?? { byte: 0, line: 1 };
  try {
    yield* format === 'csv' ? readCsv(text, file, at) : readJsonl(text, file, at);
  } finally {
    bytes.destroy();
  }
}

type LineEnding = '\r\n' | '\n' | '\r';

async function* readCsv(text: AsyncIterable<string>, file: string, from: ResumePoint): AsyncGenerator<RowBatch> {
  let header = from.header;
  let parser = from.newline === undefined ? undefined : new Papa.Parser({ newline: from.newline });
  let newline = from.newline;
  let nextLine = from.line;
  let byte = from.byte;
  let rows = 0;
  let carry = '';
  let waitFor = 0;
  // Each parse's complete records. Papa Parse reads on past a malformed quote, so the first
  // quote error ends the file: everything after it would be misread.
  const records = (data: string[][], errors: Papa.ParseError[], final: boolean): InputItem[] => {
    const quoteError = errors.find((e) => e.type === 'Quotes' && (final || (e.row ?? 0) < data.length));
    if (quoteError) {
      const row = quoteError.row ?? 0;
      const line = nextLine + row + countNewlines(data.slice(0, row).flat());
      throw new InputError(file, line, quoteError.code === 'InvalidQuotes'
        ? 'not valid CSV: text after the closing quote of a quoted field (write a quote inside a quoted field as "")'
        : 'not valid CSV: a quoted field is never closed (a missing closing quote)');
    }
    const items: InputItem[] = [];
    for (const record of data) {
      const line = nextLine;
      nextLine += 1 + countNewlines(record);
      if (record.length === 1 && record[0] === '') continue; // an empty line
      if (header === undefined) {
        header = checkHeader(record, file, line);
        continue;
      }
      rows++;
      if (record.length !== header.length) {
        items.push({ kind: 'problem', line, message: `has ${record.length} fields but the header has ${header.length} (check quotes and commas)` });
        continue;
      }
      items.push(new CsvRow(record, header, line));
    }
    return items;
  };
  const parse = (final: boolean): RowBatch => {
    const start: ResumePoint = { byte, line: nextLine, header, newline };
    const result = parser!.parse(carry, 0, !final) as Papa.ParseResult<string[]>;
    const rest = final ? '' : carry.slice(result.meta.cursor);
    byte += Buffer.byteLength(carry) - Buffer.byteLength(rest);
    carry = rest;
    waitFor = result.data.length === 0 ? carry.length * 2 : 0;
    return { items: records(result.data, result.errors, final), start };
  };
  for await (const chunk of text) {
    if (byte === 0 && carry === '' && chunk.startsWith('\uFEFF')) {
      byte = 3;
      carry = chunk.slice(1);
    } else {
      carry += chunk;
    }
    if (parser === undefined) {
      if (!/[\r\n]/.test(carry)) continue;
      newline = lineEndingOf(carry);
      parser = new Papa.Parser({ newline });
    }
    // A record longer than what is buffered (a huge cell, or a quote never closed) is parsed
    // again only once the buffer has doubled, so a long record costs O(n log n), not O(n²).
    if (carry.length < waitFor) continue;
    yield parse(false);
  }
  if (carry !== '') {
    parser ??= new Papa.Parser({ newline: '\n' });
    yield parse(true);
  }
  if (header === undefined) throw new InputError(file, undefined, 'the file is empty (expected a header row starting with "id")');
  if (rows === 0 && from.byte === 0) throw new InputError(file, undefined, 'the file has a header but no rows');
}

/** A CSV row. Its values object is built only when asked for: a resumed run passes over most rows without it. */
class CsvRow implements InputRow {
  readonly kind = 'row';
  readonly id: string;
  readonly #record: string[];
  readonly #header: string[];
  #values: Record<string, unknown> | undefined;

  constructor(
    record: string[],
    header: string[],
    readonly line: number,
  ) {
    this.id = record[0]!;
    this.#record = record;
    this.#header = header;
  }

  get values(): Record<string, unknown> {
    if (this.#values === undefined) {
      this.#values = {};
      for (let i = 1; i < this.#header.length; i++) this.#values[this.#header[i]!] = this.#record[i]!;
    }
    return this.#values;
  }
}

/** The record separator, from the first line end in the file: CRLF (Excel), LF, or CR. */
function lineEndingOf(text: string): LineEnding {
  const at = text.search(/[\r\n]/);
  if (at === -1 || text[at] === '\n') return '\n';
  return text[at + 1] === '\n' ? '\r\n' : '\r';
}

function checkHeader(record: string[], file: string, line: number): string[] {
  const header = record.map((name) => name.trim());
  const idAt = header.indexOf('id');
  if (idAt === -1) throw new InputError(file, line, `the header has no "id" column (found: ${header.slice(0, 8).join(', ')})`);
  if (idAt !== 0) throw new InputError(file, line, `"id" must be the first column (it is column ${idAt + 1})`);
  const seen = new Set<string>();
  header.forEach((name, index) => {
    if (name === '') throw new InputError(file, line, `column ${index + 1} has an empty header name`);
    if (seen.has(name)) throw new InputError(file, line, `column "${name}" appears twice in the header`);
    seen.add(name);
  });
  return header;
}

function countNewlines(record: string[]): number {
  let count = 0;
  for (const field of record) for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) count++;
  return count;
}

async function* readJsonl(text: AsyncIterable<string>, file: string, from: ResumePoint): AsyncGenerator<RowBatch> {
  let line = from.line - 1;
  let byte = from.byte;
  let rows = 0;
  let carry = '';
  const handle = (raw: string): InputItem | undefined => {
    line++;
    const trimmed = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (trimmed === '') return undefined;
    rows++;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      return { kind: 'problem', line, message: `not valid JSON (${(error as Error).message})` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'problem', line, message: 'expected a JSON object with "id"' };
    const object = value as Record<string, unknown>;
    const id = object.id;
    if (typeof id !== 'string' && typeof id !== 'number') return { kind: 'problem', line, message: 'missing "id" (a string or a number)' };
    let values: Record<string, unknown>;
    if ('inputs' in object) {
      const inputs = object.inputs;
      if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) return { kind: 'problem', line, message: '"inputs" must be a JSON object' };
      values = { ...(inputs as Record<string, unknown>) };
    } else {
      values = { ...object };
      delete values.id;
    }
    return { kind: 'row', id: String(id), line, values };
  };
  const batch = (lines: string[]): RowBatch => {
    const start: ResumePoint = { byte, line: line + 1 };
    const items: InputItem[] = [];
    for (const part of lines) {
      byte += Buffer.byteLength(part) + 1;
      const item = handle(part);
      if (item) items.push(item);
    }
    return { items, start };
  };
  for await (const chunk of text) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    yield batch(parts);
  }
  if (carry !== '') yield batch([carry]);
  if (rows === 0 && from.byte === 0) throw new InputError(file, undefined, 'the file has no rows');
}
