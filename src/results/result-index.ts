/**
 * A results file indexed by id without keeping its rows: where the last line of each id is,
 * in the order ids first appear. Rows are read back one at a time (a 100,000-row file is
 * ~90 MB of JSON, several times that as objects), so export and report stay flat in memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { forEachLine } from '../batch/record/line-reader.js';
import { InputError } from '../batch/input/input-error.js';
import { isObject, recordOfLine, rowOfLine, type ResultRow } from './result-set.js';

export interface ResultIndex {
  file: string;
  /** Ids in the order they first appear. */
  ids: string[];
  /** Where the last line of `ids[i]` starts in the file, and its length in bytes. */
  offsets: number[];
  lengths: number[];
  lines: number;
  /** Lines that are not records (not JSON, or no string id): skipped, reported. */
  badLines: number[];
  /** Each id's input and output names (of its last line), as an index into `signatures`. */
  signatureOf: number[];
  /** Distinct lists of names: a file's lines mostly share one. */
  signatures: { inputs: string[]; outputs: string[] }[];
}

/** The input and output names of the rows, in the order they first appear (an export's columns). */
export function namesOf(index: ResultIndex): { inputs: Set<string>; outputs: Set<string> } {
  const inputs = new Set<string>();
  const outputs = new Set<string>();
  const seen = new Set<number>();
  for (const signature of index.signatureOf) {
    if (seen.has(signature)) continue;
    seen.add(signature);
    for (const name of index.signatures[signature]!.inputs) inputs.add(name);
    for (const name of index.signatures[signature]!.outputs) outputs.add(name);
  }
  return { inputs, outputs };
}

/** Reads `file` once; throws InputError when it does not exist or holds no record at all. */
export async function indexResults(file: string): Promise<ResultIndex> {
  const slots = new Map<string, number>();
  const index: ResultIndex = { file, ids: [], offsets: [], lengths: [], lines: 0, badLines: [], signatureOf: [], signatures: [] };
  const signatures = new Map<string, number>();
  const read = await forEachLine(file, ({ buffer, start, end, line, offset }) => {
    const record = recordOfLine(buffer.toString('utf8', start, end));
    if (record === undefined) {
      index.badLines.push(line);
      return;
    }
    // A later line replaces the row but keeps its place (where the id first appeared).
    let slot = slots.get(record.id);
    if (slot === undefined) {
      slot = index.ids.push(record.id) - 1;
      slots.set(record.id, slot);
    }
    index.offsets[slot] = offset;
    index.lengths[slot] = end - start;
    const inputs = isObject(record.inputs) ? Object.keys(record.inputs).filter((name) => name !== 'id') : [];
    const outputs = isObject(record.outputs) ? Object.keys(record.outputs) : [];
    const key = `${inputs.join('\u0001')}\u0002${outputs.join('\u0001')}`;
    let signature = signatures.get(key);
    if (signature === undefined) {
      signature = index.signatures.push({ inputs, outputs }) - 1;
      signatures.set(key, signature);
    }
    index.signatureOf[slot] = signature;
  });
  if (read === undefined) throw new InputError(file, undefined, 'the results file does not exist');
  index.lines = read.lines;
  if (index.ids.length === 0)
    throw new InputError(
      file,
      index.badLines[0],
      read.lines === 0 ? 'the results file is empty' : 'no result records in the file (expected the JSONL written by difyrun batch)',
    );
  return index;
}

const WINDOW = 1 << 20;

/** Reads the rows of an index back by position: mostly in file order, so through a 1 MB window. */
export class ResultReader {
  #window = Buffer.alloc(0);
  #windowAt = 0;

  private constructor(
    readonly index: ResultIndex,
    private readonly handle: FileHandle,
  ) {}

  get ids(): readonly string[] {
    return this.index.ids;
  }

  static async open(index: ResultIndex): Promise<ResultReader> {
    return new ResultReader(index, await open(index.file, 'r'));
  }

  async row(slot: number): Promise<ResultRow> {
    const at = this.index.offsets[slot]!;
    const length = this.index.lengths[slot]!;
    if (at < this.#windowAt || at + length > this.#windowAt + this.#window.length) {
      // Forward from the window: read ahead. Elsewhere (out of order): just this line.
      const ahead = at >= this.#windowAt + this.#window.length && at < this.#windowAt + this.#window.length + WINDOW;
      const size = Math.max(length, ahead ? WINDOW : 0);
      const buffer = Buffer.allocUnsafe(size);
      const { bytesRead } = await this.handle.read(buffer, 0, size, at);
      this.#window = buffer.subarray(0, bytesRead);
      this.#windowAt = at;
    }
    const start = at - this.#windowAt;
    const row = rowOfLine(this.#window.toString('utf8', start, start + length));
    // The file changed under us (a batch still writing it is fine: lines are only appended).
    if (row === undefined || row.id !== this.index.ids[slot]) throw new Error(`${this.index.file} changed while being read`);
    return row;
  }

  /** Every row, in the order ids first appear. */
  async *rows(): AsyncGenerator<ResultRow> {
    for (let slot = 0; slot < this.index.ids.length; slot++) yield await this.row(slot);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
