/** Evaluates a row's expectation columns against its outputs, and tallies pass rates. */
import { check, expectationProblem } from './assertions.js';
import { parseExpectationColumn, type AssertionKind } from './columns.js';

/** One assertion's outcome, as recorded in the output line's `assertions`. */
export interface AssertionResult {
  /** The expectation column, e.g. `expect_contains:summary`. */
  column: string;
  kind: AssertionKind;
  output: string;
  pass: boolean;
  message?: string;
}

/**
 * Every expectation in `values` (a row's columns) checked against `outputs`. Empty cells set no
 * expectation. A row without outputs (it failed) fails each of its assertions.
 */
export function evaluateExpectations(values: Record<string, unknown>, outputs: Record<string, unknown> | null): AssertionResult[] {
  const results: AssertionResult[] = [];
  for (const [column, expected] of Object.entries(values)) {
    const parsed = parseExpectationColumn(column);
    if (!parsed || expected === undefined || expected === null || expected === '') continue;
    const base = { column, kind: parsed.kind, output: parsed.output };
    const problem = expectationProblem(parsed.kind, expected);
    if (problem !== undefined) results.push({ ...base, pass: false, message: `invalid expectation: ${problem}` });
    else if (outputs === null) results.push({ ...base, pass: false, message: 'no outputs: the row failed' });
    else results.push({ ...base, ...check(parsed.kind, expected, outputs[parsed.output]) });
  }
  return results;
}

/** A problem with one of the row's expectation cells (for the batch's up-front row check), or undefined. */
export function invalidExpectation(values: Record<string, unknown>): { column: string; message: string } | undefined {
  for (const [column, expected] of Object.entries(values)) {
    const parsed = parseExpectationColumn(column);
    if (!parsed || expected === undefined || expected === null || expected === '') continue;
    const message = expectationProblem(parsed.kind, expected);
    if (message !== undefined) return { column, message };
  }
  return undefined;
}

export interface PassRate {
  passed: number;
  total: number;
}

export interface AssertionTally {
  /** Assertions, counted one by one. */
  assertions: PassRate;
  /** Rows with at least one assertion; a row passes when all of its assertions pass. */
  rows: PassRate;
  /** Per expectation column, in first-seen order. */
  byColumn: Map<string, PassRate>;
}

export function emptyTally(): AssertionTally {
  return { assertions: { passed: 0, total: 0 }, rows: { passed: 0, total: 0 }, byColumn: new Map() };
}

/** Adds one row's results to `tally`. */
export function tallyRow(tally: AssertionTally, results: readonly AssertionResult[]): void {
  if (results.length === 0) return;
  tally.rows.total++;
  if (results.every((result) => result.pass)) tally.rows.passed++;
  for (const result of results) {
    tally.assertions.total++;
    let column = tally.byColumn.get(result.column);
    if (!column) tally.byColumn.set(result.column, (column = { passed: 0, total: 0 }));
    column.total++;
    if (result.pass) {
      tally.assertions.passed++;
      column.passed++;
    }
  }
}

/** "7/9 (77.8%)". */
export function formatPassRate(rate: PassRate): string {
  return `${rate.passed}/${rate.total} (${rate.total === 0 ? '-' : `${((100 * rate.passed) / rate.total).toFixed(1)}%`})`;
}
