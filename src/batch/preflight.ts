/**
 * A batch's pre-flight, for a local batch and a queued one alike: which rows this invocation
 * runs, the app's input variables, and every row of the input checked before anything runs.
 */
import { dirname, resolve } from 'node:path';
import type { DifyClient } from '../client/client.js';
import { inputVariables, type AppParameters } from '../protocol/index.js';
import type { BatchConfig } from './config.js';
import type { IdTable } from './input/id-table.js';
import type { InputRow } from './input/read-rows.js';
import { scanInput, type InputScan, type RowSelection } from './input/scan-input.js';
import { RowPreparer } from './prepare/row-preparer.js';
import { ROW_SUCCEEDED } from './record/ledger.js';
import type { RerunPolicy } from './record/rerun-policy.js';
import { UsageError } from './usage-error.js';
import { plural } from '../util/plural.js';
import { collectGarbage } from '../util/collect-garbage.js';

/** Inputs from this size on are worth a full garbage collection after their scan. */
const LARGE_INPUT_ROWS = 100_000;

export interface CheckedInput {
  preparer: RowPreparer;
  scan: InputScan;
}

export interface SelectionParts {
  /** Rows an earlier invocation left in flight: part of this one whatever --retry says (they are recovered). */
  inFlight: { has(id: string): boolean };
  /** The output's rows: id → succeeded or failed. */
  ledger: IdTable;
  /** --retry: the ids in the .retry file. */
  retryIds: { has(id: string): boolean } | undefined;
  /** Rows that succeeded but run again (changed inputs, another version, --rerun-all). */
  rerun?: RerunPolicy | undefined;
}

/** Which rows this invocation runs: left in flight, not yet succeeded (or run again), and with --retry only the failed ones. */
export function selectRows(parts: SelectionParts): RowSelection {
  return (row: InputRow) => {
    if (parts.inFlight.has(row.id)) return 'run';
    if (parts.ledger.get(row.id) === ROW_SUCCEEDED) return parts.rerun?.runsAgain(row) ? 'run' : 'succeeded';
    return parts.retryIds === undefined || parts.retryIds.has(row.id) ? 'run' : 'skip';
  };
}

/** GET /parameters, sent at once, for checkInput; `abandon` cancels it when the batch ends before its pre-flight. */
export function requestParameters(client: DifyClient): { result: Promise<AppParameters>; abandon(): void } {
  const controller = new AbortController();
  const result = client.app.parameters({}, { signal: controller.signal });
  result.catch(() => {}); // the pre-flight awaits it and sees any failure
  return { result, abandon: () => controller.abort() };
}

/**
 * Every row of the input checked (structure, ids, values) against the app's input variables
 * (GET /parameters, already sent: the scan starts while it is on its way). Any problem is one
 * UsageError listing them, and nothing is run or written. When /parameters fails (a wrong key,
 * the server down), that is the error, whatever the file holds.
 */
export async function checkInput(config: BatchConfig, appParameters: Promise<AppParameters>, select: RowSelection): Promise<CheckedInput> {
  const preparer = appParameters.then((parameters) => new RowPreparer(inputVariables(parameters), dirname(resolve(config.input)), { rowIds: true }));
  let scan: InputScan;
  try {
    scan = await scanInput(config.input, preparer, select, config.inputOptions);
  } catch (error) {
    await appParameters;
    throw error;
  }
  // The scan's tables (the duplicate-id table: ~20 MB for a million rows) are garbage now; V8
  // would collect them only once old space grows enough, on top of what the rows need
  // (1,000,000 rows: 139 -> 126 MB peak, BENCHMARKS.md). A full collection costs a few ms.
  if (scan.rows >= LARGE_INPUT_ROWS) collectGarbage();
  if (scan.problemCount > 0) throw new UsageError(formatProblems(config.input, scan));
  return { preparer: await preparer, scan };
}

/** What the input has that Dify ignores or the file's form got wrong: stderr lines. */
export function inputWarnings(config: BatchConfig, { scan, preparer }: CheckedInput): string[] {
  const lines = scan.warnings.map((warning) => `warning: ${config.input}:${warning.line}: ${warning.message}`);
  if (scan.undeclared.length > 0) {
    lines.push(
      `warning: ${plural(scan.undeclared.length, 'column')} not declared by the workflow (Dify ignores them): ${scan.undeclared.join(', ')}` +
        ` — declared inputs: ${preparer.variables.map((v) => v.variable).join(', ') || '(none)'}`,
    );
  }
  return lines;
}

/** Rows Dify would reject (recorded as failed, not sent): the first five, as stderr lines. */
export function invalidRowWarnings(config: BatchConfig, scan: InputScan): string[] {
  const lines = scan.invalid.slice(0, 5).map((row) => `warning: ${config.input}:${row.line}: id "${row.id}": ${row.message} (recorded as failed, not sent)`);
  if (scan.invalidCount > 5) lines.push(`warning: … and ${scan.invalidCount - 5} more rows with invalid inputs (see --dry-run or the output's "error" field)`);
  return lines;
}

function formatProblems(file: string, scan: InputScan): string {
  const lines = scan.problems.map((problem) => `${file}:${problem.line}: ${problem.message}`);
  if (scan.problemCount > scan.problems.length) lines.push(`… and ${scan.problemCount - scan.problems.length} more problems`);
  lines.push(`${plural(scan.problemCount, 'problem')} in ${file}; nothing was run or written.`);
  return lines.join('\n');
}
