/**
 * `--input DATA`: rows in the input file's order, with a `not_run` row for each input id that has
 * no result yet, and expectations taken from the input (so expectations added after a run apply).
 * Result ids that are not in the input follow at the end.
 */
import { readRowBatches } from '../batch/input/read-rows.js';
import { isExpectationColumn } from './expectations/columns.js';
import { evaluateExpectations } from './expectations/evaluate.js';
import { notRunRow, type ResultRow, type ResultSet } from './result-set.js';

/** Rows by position, as a ResultReader (from the file) or a ResultSet (in memory) gives them. */
export interface RowSource {
  readonly ids: readonly string[];
  row(slot: number): ResultRow | Promise<ResultRow>;
}

export interface OrderCounts {
  /** Input ids with no result line. */
  notRun: number;
  /** Result ids that are not in the input (listed last). */
  notInInput: number;
}

/** The rows of `source`: in its own order, or with `inputFile` in the input's (counts filled in as it goes). */
export async function* orderedRows(source: RowSource, inputFile: string | undefined, counts: OrderCounts): AsyncGenerator<ResultRow> {
  if (inputFile === undefined) {
    for (let slot = 0; slot < source.ids.length; slot++) yield await source.row(slot);
    return;
  }
  const slots = new Map<string, number>();
  source.ids.forEach((id, slot) => slots.set(id, slot));
  const placed = new Uint8Array(source.ids.length);
  const notRun = new Set<string>();
  for await (const batch of readRowBatches(inputFile)) {
    for (const item of batch.items) {
      if (item.kind !== 'row') continue;
      const slot = slots.get(item.id);
      if (slot === undefined) {
        if (notRun.has(item.id)) continue;
        notRun.add(item.id);
        counts.notRun++;
        yield notRunRow(item.id, { ...item.values });
      } else if (!placed[slot]) {
        placed[slot] = 1;
        yield withExpectationsOf(await source.row(slot), item.values);
      }
    }
  }
  for (let slot = 0; slot < source.ids.length; slot++) {
    if (placed[slot]) continue;
    counts.notInInput++;
    yield await source.row(slot);
  }
}

export interface InputOrder extends OrderCounts {
  rows: ResultRow[];
}

/** In memory: the rows of `set` in the input's order. */
export async function orderByInput(set: ResultSet, inputFile: string): Promise<InputOrder> {
  const counts = { notRun: 0, notInInput: 0 };
  const rows: ResultRow[] = [];
  const source = { ids: set.rows.map((row) => row.id), row: (slot: number) => set.rows[slot]! };
  for await (const row of orderedRows(source, inputFile, counts)) rows.push(row);
  return { rows, ...counts };
}

/** The result with the input file's expectation columns (current) instead of the recorded ones. */
function withExpectationsOf(row: ResultRow, values: Record<string, unknown>): ResultRow {
  const expectations = Object.keys(values).filter(isExpectationColumn);
  const recorded = Object.keys(row.inputs).filter(isExpectationColumn);
  if (expectations.length === 0 && recorded.length === 0) return row;
  const inputs = Object.fromEntries(Object.entries(row.inputs).filter(([name]) => !isExpectationColumn(name)));
  for (const name of expectations) inputs[name] = values[name];
  return { ...row, inputs, checks: evaluateExpectations(inputs, row.outputs) };
}
