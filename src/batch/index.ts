/**
 * The batch executor's entry module: what the CLI and other callers (queue workers) use.
 * Everything else under src/batch is internal to it.
 *
 * One row's path through the folders:
 *
 *   input/      read-rows (CSV/JSONL stream) → scan-input (ids, structure, pre-flight)
 *   prepare/    row-preparer (Dify's coercions and checks) → file-inputs (uploads)
 *   schedule/   row-scheduler (rows in flight, stop state) → pacing (adaptive window + rate gate)
 *               → mode-choice (auto: streaming or blocking)
 *   execute/    execute-row (one row to an outcome) → attempt (one POST) → classify (what an
 *               error means) → next-step (retry/recover, a pure function) → recover (no re-runs)
 *   record/     journal (in flight) → ledger (output JSONL) → retry-file, compact
 *   report/     progress, summary
 */
import { classify } from './execute/classify.js';

export { runBatch, type BatchIO, type BatchResult } from './run-batch.js';
export { checkInput, inputWarnings, invalidRowWarnings, selectRows, type CheckedInput } from './preflight.js';
export { BATCH_DEFAULTS, BATCH_MODES, batchConfig, type BatchConfig, type BatchMode } from './config.js';
export { UsageError } from './usage-error.js';
export { InputError } from './input/input-error.js';
export { compactLedger } from './record/compact.js';
export type { BatchSummary } from './report/summary.js';
export {
  executeRow,
  type PreparedRow,
  type RowExecution,
  type RowExecutionConfig,
  type RowOutcome,
  type RowPacer,
  type RowSignals,
  type RowStateStore,
} from './execute/execute-row.js';
export type { InFlight } from './record/journal.js';
export { unsentOutcome, type OutcomeRecord, type RowError } from './record/outcome.js';
export { StartOrder } from './execute/start-watch.js';
export { rowUser } from './execute/row-user.js';
export { RowPreparer, type Prepared } from './prepare/row-preparer.js';
export { FileUploader, fileTypeFor } from './prepare/file-inputs.js';

/** Whether an error from Dify would fail every row the same way (a bad key, an unpublished app…). */
export function failsEveryRow(error: unknown): boolean {
  return classify(error).kind === 'fatal';
}
