/**
 * Everything `difyrun batch` checks before running anything, for a queued batch: the files,
 * what the output already holds, the app's inputs and every row of the input.
 */
import { dirname, resolve } from 'node:path';
import type { DifyClient } from '../../client/client.js';
import { inputVariables } from '../../protocol/index.js';
import { UsageError, type BatchConfig } from '../../batch/index.js';
import type { IdTable } from '../../batch/input/id-table.js';
import type { InputRow } from '../../batch/input/read-rows.js';
import { scanInput, type InputScan } from '../../batch/input/scan-input.js';
import { RowPreparer } from '../../batch/prepare/row-preparer.js';
import { ROW_SUCCEEDED } from '../../batch/record/ledger.js';
import { readRetryFile } from '../../batch/record/retry-file.js';

export interface Preflight {
  preparer: RowPreparer;
  scan: InputScan;
  select(row: InputRow): 'run' | 'succeeded' | 'skip';
}

/**
 * `ledger` is the output's state (outcomes written while the submitter was away included);
 * `inFlight` the rows a worker holds right now, which are part of this invocation whatever
 * --retry says. Undefined when --retry has nothing to do.
 */
export async function preflight(config: BatchConfig, client: DifyClient, ledger: IdTable, inFlight: Set<string>): Promise<Preflight | undefined> {
  const output = resolve(config.output);
  const retryIds = config.retryOnly ? await readRetryFile(`${output}.retry`) : undefined;
  if (config.retryOnly && retryIds === undefined && inFlight.size === 0) return undefined;
  const parameters = await client.app.parameters();
  const preparer = new RowPreparer(inputVariables(parameters), dirname(resolve(config.input)));
  const select = (row: InputRow): 'run' | 'succeeded' | 'skip' => {
    if (inFlight.has(row.id)) return 'run';
    if (ledger.get(row.id) === ROW_SUCCEEDED) return 'succeeded';
    return retryIds === undefined || retryIds.has(row.id) ? 'run' : 'skip';
  };
  const scan = await scanInput(config.input, preparer, select);
  if (scan.problemCount > 0) {
    const lines = scan.problems.map((problem) => `${config.input}:${problem.line}: ${problem.message}`);
    if (scan.problemCount > scan.problems.length) lines.push(`… and ${scan.problemCount - scan.problems.length} more problems`);
    lines.push(`${scan.problemCount} problem${scan.problemCount === 1 ? '' : 's'} in ${config.input}; nothing was run or written.`);
    throw new UsageError(lines.join('\n'));
  }
  return { preparer, scan, select };
}
