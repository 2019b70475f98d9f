/** The output line of a row, from the run's result (if any) and what the attempts saw. */
import type { WorkflowRunResult } from '../../client/workflow-stream.js';
import type { OutcomeRecord, RowError } from '../record/outcome.js';

export interface AttemptTally {
  attempts: number;
  retries: number;
  runId: string | null;
  taskId: string | null;
  /** Summed from node events, when the stream reported prices per node. */
  price: { amount: number; currency: string | null } | undefined;
}

export function buildOutcome(
  row: { id: string; recordInputs: Record<string, unknown> },
  tally: AttemptTally,
  startedAt: number,
  result: WorkflowRunResult | undefined,
  error: RowError | null,
): OutcomeRecord {
  const data = result?.data;
  const status = data?.status ?? null;
  const succeeded = error === null && (status === 'succeeded' || status === 'partial-succeeded');
  let rowError = error;
  if (!succeeded && rowError === null) {
    rowError =
      status === 'stopped'
        ? { code: 'stopped', message: data?.error ?? 'Stopped by user.', http_status: null }
        : { code: 'workflow_failed', message: data?.error ?? `Workflow ended with status ${String(status)}`, http_status: null };
  }
  const summed = tally.price?.amount ?? 0;
  const price = summed > 0 ? summed : typeof data?.total_price === 'number' ? data.total_price : Number(data?.total_price ?? NaN);
  return {
    id: row.id,
    status: succeeded ? 'success' : 'failed',
    inputs: row.recordInputs,
    outputs: data?.outputs ?? null,
    workflow_run_id: result?.workflow_run_id || tally.runId,
    workflow_id: data?.workflow_id || null,
    executed_at: new Date().toISOString(),
    retry_count: tally.retries,
    task_id: result?.task_id || tally.taskId,
    workflow_status: status ?? (rowError?.code === 'stopped' && tally.runId !== null ? 'stopped' : null),
    error: rowError,
    elapsed_time: data?.elapsed_time ?? null,
    total_tokens: data?.total_tokens ?? null,
    total_price: Number.isFinite(price) ? price : null,
    currency: tally.price?.currency ?? (typeof data?.currency === 'string' ? data.currency : null),
    latency_ms: Date.now() - startedAt,
    attempts: tally.attempts,
  };
}
