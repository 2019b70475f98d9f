/**
 * `--input DATA`: rows in the input file's order, with a `not_run` row for each input id that has
 * no result yet, and expectations taken from the input (so expectations added after a run apply).
 * Result ids that are not in the input follow at the end.
 */
import { readRowBatches } from '../batch/input/read-rows.js';
import { isExpectationColumn } from './expectations/columns.js';
import { evaluateExpectations } from './expectations/evaluate.js';
import { notRunRow, type ResultRow, type ResultSet } from './result-set.js';

export interface InputOrder {
  rows: ResultRow[];
  /** Input ids with no result line. */
  notRun: number;
  /** Result ids that are not in the input (listed last). */
  notInInput: number;
}

export async function orderByInput(set: ResultSet, inputFile: string): Promise<InputOrder> {
  const results = new Map(set.rows.map((row) => [row.id, row]));
  const placed = new Set<string>();
  const rows: ResultRow[] = [];
  let notRun = 0;
  for await (const batch of readRowBatches(inputFile)) {
    for (const item of batch.items) {
      if (item.kind !== 'row' || placed.has(item.id)) continue;
      placed.add(item.id);
      const result = results.get(item.id);
      if (result === undefined) {
        notRun++;
        rows.push(notRunRow(item.id, { ...item.values }));
      } else {
        rows.push(withExpectationsOf(result, item.values));
      }
    }
  }
  const rest = set.rows.filter((row) => !placed.has(row.id));
  return { rows: [...rows, ...rest], notRun, notInInput: rest.length };
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
