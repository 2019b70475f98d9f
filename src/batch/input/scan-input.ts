/**
 * The first pass over the input, before anything runs or is written: every structural
 * problem (empty or duplicate ids, ragged rows, bad JSON lines) with its line number, and
 * every row whose inputs Dify would reject, checked against /parameters (value-checks.ts: the
 * scan starts before /parameters has answered).
 */
import { stat } from 'node:fs/promises';
import type { RowPreparer } from '../prepare/row-preparer.js';
import { IdTable } from './id-table.js';
import { isUtf8 } from './input-options.js';
import { readRowBatches, type InputOptions, type InputRow, type ResumePoint } from './read-rows.js';
import { ValueChecks } from './value-checks.js';

export interface InputProblem {
  line: number;
  message: string;
}

export interface InputScan {
  rows: number;
  /** Problems that make the input unusable (exit 2). */
  problems: InputProblem[];
  problemCount: number;
  /** Worth telling, not stopping for (a header name with spaces around it). */
  warnings: InputProblem[];
  /** Rows Dify would reject, by line (they are recorded as failed without a call). */
  invalid: (InputProblem & { id: string })[];
  invalidCount: number;
  /** Columns (CSV header or JSONL keys) that are not declared input variables. */
  undeclared: string[];
  /** The first rows that would be sent, for --dry-run. */
  firstValid: InputRow[];
  /** Rows this run will process, and rows skipped because they already succeeded. */
  selected: number;
  alreadySucceeded: number;
  /** Where the batch holding the first selected row starts: a resumed run need not read anything before it again. */
  resumeAt: ResumePoint | undefined;
}

/** Whether a row is part of this run (`run`), already done (`succeeded`), or left out by --retry (`skip`). */
export type RowSelection = (row: InputRow) => 'run' | 'succeeded' | 'skip';

const KEEP = 50;

/** Scans `file`; `preparer` (the app's input form) may still be on its way, and what GET /parameters threw is thrown. */
export async function scanInput(
  file: string,
  preparer: RowPreparer | Promise<RowPreparer>,
  select: RowSelection = () => 'run',
  options: InputOptions = {},
): Promise<InputScan> {
  const scan: InputScan = {
    rows: 0,
    problems: [],
    problemCount: 0,
    warnings: [],
    invalid: [],
    invalidCount: 0,
    undeclared: [],
    firstValid: [],
    selected: 0,
    alreadySucceeded: 0,
    resumeAt: undefined,
  };
  const firstLine = new IdTable();
  const values = new ValueChecks(preparer, {
    invalid: (row, message) => {
      scan.invalidCount++;
      if (scan.invalid.length < KEEP) scan.invalid.push({ line: row.line, id: row.id, message });
    },
    valid: (row) => {
      if (scan.firstValid.length < 3) scan.firstValid.push(row);
    },
  });
  const problem = (line: number, message: string) => {
    scan.problemCount++;
    if (scan.problems.length < KEEP) scan.problems.push({ line, message });
  };
  const sizing = new TableSizing(firstLine, (await stat(file)).size);
  for await (const batch of readRowBatches(file, undefined, undefined, options)) {
    sizing.atBatch(batch.start, scan.rows);
    for (const item of batch.items) {
      if (item.kind === 'problem') {
        problem(item.line, item.message);
        continue;
      }
      if (item.kind === 'warning') {
        scan.warnings.push({ line: item.line, message: item.message });
        continue;
      }
      scan.rows++;
      if (item.id.trim() === '') {
        problem(item.line, 'empty id');
        continue;
      }
      sizing.idLength += item.id.length;
      const seenAt = firstLine.setIfAbsent(item.id, item.line);
      if (seenAt !== undefined) {
        problem(item.line, `duplicate id "${item.id}" (first on line ${seenAt})`);
        continue;
      }
      const selection = select(item);
      if (selection === 'succeeded') scan.alreadySucceeded++;
      if (selection !== 'run') continue;
      if (scan.selected++ === 0) scan.resumeAt = batch.start;
      if (values.add(item)) await values.flush();
    }
  }
  await values.flush();
  scan.undeclared = [...values.undeclared];
  return scan;
}

/**
 * Sizes the table of ids once, from the first rows' share of the file, rather than letting it
 * grow by copies (each growth keeps the old arrays and the new alive together: the scan sets
 * the batch's peak memory on a big input). UTF-8 only: elsewhere offsets count characters.
 */
class TableSizing {
  idLength = 0;
  #done = false;

  constructor(
    private readonly table: IdTable,
    private readonly fileBytes: number,
  ) {}

  atBatch(start: ResumePoint, rowsSoFar: number): void {
    if (this.#done || rowsSoFar < 1000) return;
    this.#done = true;
    if (start.encoding === undefined || !isUtf8(start.encoding.name) || start.offset <= 0) return;
    const rows = (this.fileBytes / start.offset) * rowsSoFar;
    this.table.reserve(Math.ceil(rows * 1.05), (this.idLength / rowsSoFar) * 1.05);
  }
}
