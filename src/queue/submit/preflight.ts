/**
 * Everything `difyrun batch` checks before running anything, for a queued batch: the local
 * batch's pre-flight (src/batch/preflight.ts), with the rows a worker holds in Redis as the
 * rows left in flight.
 */
import { resolve } from 'node:path';
import type { DifyClient } from '../../client/client.js';
import { checkInput, selectRows, type BatchConfig, type CheckedInput } from '../../batch/index.js';
import type { IdTable } from '../../batch/input/id-table.js';
import type { RowSelection } from '../../batch/input/scan-input.js';
import { readRetryFile } from '../../batch/record/retry-file.js';

export interface Preflight extends CheckedInput {
  select: RowSelection;
}

/**
 * `ledger` is the output's state (outcomes written while the submitter was away included);
 * `inFlight` the rows a worker holds right now, which are part of this invocation whatever
 * --retry says. Undefined when --retry has nothing to do.
 */
export async function preflight(config: BatchConfig, client: DifyClient, ledger: IdTable, inFlight: Set<string>): Promise<Preflight | undefined> {
  const retryIds = config.retryOnly ? await readRetryFile(`${resolve(config.output)}.retry`) : undefined;
  if (config.retryOnly && retryIds === undefined && inFlight.size === 0) return undefined;
  const select = selectRows({ inFlight, ledger, retryIds });
  return { ...(await checkInput(config, client.app.parameters(), select)), select };
}
