import type { AssertionResult } from '../../results/expectations/evaluate.js';

/**
 * One line of the output JSONL: the outcome of one row. The first seven fields are the Python
 * executor's (dify-workflow-api-executor) with the same meanings; the rest are difyrun's additions.
 */
export interface RowError {
  /** Dify's error code, or difyrun's: `validation_error`, `stream_ended`, `timeout`, `connection_error`, `stopped`, … */
  code: string;
  message: string;
  /** The HTTP status when the error came from an HTTP response. */
  http_status: number | null;
}

export interface OutcomeRecord {
  id: string;
  status: 'success' | 'failed';
  /** The row as read (including `id`), as in the seed. */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  workflow_run_id: string | null;
  /** ISO 8601 UTC, when the outcome was recorded. */
  executed_at: string;
  /** Attempts after the first. */
  retry_count: number;
  task_id: string | null;
  /** Dify's run status: succeeded, failed, stopped, partial-succeeded; null when no run finished. */
  workflow_status: string | null;
  error: RowError | null;
  /** Seconds, as Dify reports it. */
  elapsed_time: number | null;
  total_tokens: number | null;
  total_price: number | null;
  currency: string | null;
  /** Client wall time from the first attempt to the outcome. */
  latency_ms: number;
  attempts: number;
  /** The row's expectations checked against its outputs (absent when the row has no expect… columns). */
  assertions?: AssertionResult[];
  /** The workflow version that ran the row (Dify's `workflow_id`), when known. */
  workflow_id?: string | null;
  /** Of the inputs sent (results/fingerprint.ts): a resume runs a row again when it changed. */
  input_fingerprint?: string;
}

/**
 * Serialises a record as one JSONL line. JSON.stringify escapes U+2028/2029 and control
 * characters. `workflow_id` and `input_fingerprint` come last, so a resume reads them from the
 * line's end without parsing it (record/produced-by.ts).
 */
/** The line of a row that never reached a run (invalid inputs, a failed upload, a worker that gave up): failed, with why. */
export function unsentOutcome(id: string, inputs: Record<string, unknown>, error: RowError): OutcomeRecord {
  return {
    id,
    status: 'failed',
    inputs,
    outputs: null,
    workflow_run_id: null,
    executed_at: new Date().toISOString(),
    retry_count: 0,
    task_id: null,
    workflow_status: null,
    error,
    elapsed_time: null,
    total_tokens: null,
    total_price: null,
    currency: null,
    latency_ms: 0,
    attempts: 0,
  };
}

export function outcomeLine(record: OutcomeRecord): string {
  if (record.input_fingerprint === undefined) return `${JSON.stringify(record)}\n`;
  const { workflow_id, input_fingerprint, ...rest } = record;
  return `${JSON.stringify({ ...rest, workflow_id: workflow_id ?? null, input_fingerprint })}\n`;
}
