/**
 * The output JSONL is the batch's ledger: state after any sequence of runs, retries and
 * crashes is rebuilt from it (the last line per id wins), the way GNU parallel's joblog works.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { IdTable } from '../input/id-table.js';

export const ROW_SUCCEEDED = 1;
export const ROW_FAILED = 2;

export interface LedgerLine {
  id: string;
  status: string;
  workflow_run_id?: string | null;
  executed_at?: string;
}

export interface LedgerState {
  /** id → ROW_SUCCEEDED | ROW_FAILED, by the last line per id. */
  rows: IdTable;
  lines: number;
  /** Lines that were not valid JSON records (left in place, reported). */
  badLines: number[];
}

/** Reads the ledger line by line; `onLine` sees each parsed record. A missing file is an empty ledger. */
export async function readLedger(path: string, onLine?: (line: LedgerLine) => void): Promise<LedgerState> {
  const rows = new IdTable();
  const badLines: number[] = [];
  let lines = 0;
  let stream;
  try {
    stream = createReadStream(path, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream!.once('open', () => resolve());
      stream!.once('error', reject);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { rows, lines, badLines };
    throw error;
  }
  for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
    lines++;
    const text = lines === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    let record: LedgerLine;
    try {
      record = JSON.parse(text) as LedgerLine;
    } catch {
      badLines.push(lines);
      continue;
    }
    if (typeof record.id !== 'string') {
      badLines.push(lines);
      continue;
    }
    rows.set(record.id, record.status === 'success' ? ROW_SUCCEEDED : ROW_FAILED);
    onLine?.(record);
  }
  return { rows, lines, badLines };
}
