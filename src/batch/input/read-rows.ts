/**
 * Reads batch input as a stream of rows: CSV (header required, `id` first) or JSONL
 * (`{"id", "inputs": {...}}` or a flat object with `id`). Memory stays flat: rows are yielded
 * one at a time with the line they start on, for error messages.
 *
 * Row-level problems (ragged rows, bad JSON lines) are yielded as `problem` items so a caller
 * can report all of them; problems that make the whole file unreadable are thrown.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
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

/** Rows (and row-level problems) of a CSV or JSONL file, in file order. Throws InputError when the file as a whole is unusable. */
export async function* readRows(file: string, format: InputFormat = inputFormatOf(file)): AsyncGenerator<InputItem> {
  const bytes = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    bytes.once('open', () => resolve());
    bytes.once('error', (error: NodeJS.ErrnoException) => reject(new InputError(file, undefined, `cannot read the input file (${error.code ?? error.message})`)));
  });
  await opened;
  const text = decodeUtf8(bytes, file);
  try {
    yield* format === 'csv' ? readCsv(text, file) : readJsonl(text, file);
  } finally {
    bytes.destroy();
  }
}

async function* readCsv(text: AsyncIterable<string>, file: string): AsyncGenerator<InputItem> {
  // pipeline (not pipe) so a decoding error reaches the loop below.
  const parser = pipeline(Readable.from(text), parse({ bom: true, relax_column_count: true }), () => {});
  let header: string[] | undefined;
  let nextLine = 1;
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine += 1 + countNewlines(record);
      if (record.length === 1 && record[0] === '') continue; // an empty line
      if (header === undefined) {
        header = checkHeader(record, file, line);
        continue;
      }
      rows++;
      if (record.length !== header.length) {
        yield { kind: 'problem', line, message: `has ${record.length} fields but the header has ${header.length} (check quotes and commas)` };
        continue;
      }
      const values: Record<string, unknown> = {};
      for (let i = 1; i < header.length; i++) values[header[i]!] = record[i]!;
      yield { kind: 'row', id: record[0]!, line, values };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const csvError = error as { code?: string; lines?: number; message: string };
    if (typeof csvError.code === 'string' && csvError.code.startsWith('CSV_')) {
      throw new InputError(file, csvError.lines ?? nextLine, `not valid CSV: ${csvError.message.replace(/^[^:]*: /, '')}`);
    }
    throw error;
  }
  if (header === undefined) throw new InputError(file, undefined, 'the file is empty (expected a header row starting with "id")');
  if (rows === 0) throw new InputError(file, undefined, 'the file has a header but no rows');
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

async function* readJsonl(text: AsyncIterable<string>, file: string): AsyncGenerator<InputItem> {
  let line = 0;
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
  for await (const chunk of text) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const part of parts) {
      const item = handle(part);
      if (item) yield item;
    }
  }
  if (carry !== '') {
    const item = handle(carry);
    if (item) yield item;
  }
  if (rows === 0) throw new InputError(file, undefined, 'the file has no rows');
}
