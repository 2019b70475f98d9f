/**
 * What one failed attempt means for the row and for the batch (issue 4, "Error classes").
 * The key distinction is whether the request may have started a run on the server: if so,
 * the row is recovered (reattach, run detail, logs) before anything is sent again.
 */
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  DifyStreamError,
  RateLimitError,
  StreamEndedError,
  StreamIdleTimeoutError,
} from '../../client/errors.js';
import { isRejectedByRateLimiter } from '../../client/retry-policy.js';
import type { RowError } from '../record/outcome.js';
import { RunNotStartedError } from './start-watch.js';

export type Verdict =
  /** Auth or app configuration: every row would fail the same way. Stop the batch. */
  | { kind: 'fatal'; error: RowError }
  /** Plan quota exhausted: start no new rows, finish in-flight ones. */
  | { kind: 'quota'; error: RowError }
  /** Turned away by a rate limiter before running: back off, shrink the window, retry. */
  | { kind: 'overloaded'; error: RowError; retryAfterMs: number | undefined }
  /** The request was refused for this row (bad input, too large…): not retried. */
  | { kind: 'rejected'; error: RowError }
  /** The request provably never reached the server: safe to send again. */
  | { kind: 'not-sent'; error: RowError }
  /**
   * The request may have started a run. `runId` when a stream had said so. `likelyRunning`
   * when the run may still be going (gateway cut-off, reset, timeout, dropped stream), so the
   * logs lookup should wait for it to appear.
   */
  | { kind: 'ambiguous'; error: RowError; runId: string | undefined; taskId: string | undefined; likelyRunning: boolean }
  /**
   * A streaming request the server accepted (200, pings) whose run never started: Dify's worker
   * dropped it, typically for inputs it rejects, without telling the stream why.
   */
  | { kind: 'not-started'; error: RowError }
  /** The workflow reported an error inside the stream: a failed row. */
  | { kind: 'run-error'; error: RowError; runId: string | undefined; taskId: string | undefined };

const APP_CODES = new Set([
  'unauthorized',
  'forbidden',
  'app_unavailable',
  'not_workflow_app',
  'provider_not_initialize',
  'provider_quota_exceeded',
  'model_currently_not_support',
]);

export function classify(error: unknown): Verdict {
  if (error instanceof RunNotStartedError) return { kind: 'not-started', error: { code: 'run_not_started', message: error.message, http_status: null } };
  // The SDK's own start deadline (only pings, no run event): the same as a run that never started.
  if (error instanceof StreamIdleTimeoutError && error.kind === 'start' && error.workflowRunId === undefined) {
    return { kind: 'not-started', error: { code: 'run_not_started', message: error.message, http_status: null } };
  }
  if (error instanceof DifyStreamError) {
    const rowError = { code: error.code ?? 'workflow_error', message: error.message, http_status: error.status ?? null };
    if (/^too many requests/i.test(error.message)) return { kind: 'overloaded', error: rowError, retryAfterMs: undefined };
    return { kind: 'run-error', error: rowError, runId: error.workflowRunId, taskId: error.taskId };
  }
  if (error instanceof StreamEndedError) {
    const code = error.name === 'StreamIdleTimeoutError' ? 'stream_stalled' : 'stream_ended';
    return {
      kind: 'ambiguous',
      error: { code, message: error.message, http_status: null },
      runId: error.workflowRunId,
      taskId: error.taskId,
      likelyRunning: true,
    };
  }
  if (error instanceof APIError) return classifyHttp(error);
  if (error instanceof APITimeoutError) {
    return {
      kind: 'ambiguous',
      error: { code: 'timeout', message: error.message, http_status: null },
      runId: undefined,
      taskId: undefined,
      likelyRunning: true,
    };
  }
  if (error instanceof APIConnectionError) {
    const rowError = { code: 'connection_error', message: error.message, http_status: null };
    if (error.notSent) return { kind: 'not-sent', error: rowError };
    return { kind: 'ambiguous', error: rowError, runId: undefined, taskId: undefined, likelyRunning: true };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'rejected', error: { code: 'client_error', message, http_status: null } };
}

function classifyHttp(error: APIError): Verdict {
  const rowError: RowError = { code: error.code ?? `http_${error.status}`, message: error.message, http_status: error.status };
  if (error instanceof RateLimitError && error.isQuotaExhausted) return { kind: 'quota', error: rowError };
  if (isRejectedByRateLimiter(error)) {
    const retryAfter = error instanceof RateLimitError ? error.retryAfter : undefined;
    return { kind: 'overloaded', error: rowError, retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000 };
  }
  if (isAppError(error)) return { kind: 'fatal', error: rowError };
  if (error.status >= 500) {
    // A JSON envelope means Dify itself answered (an exception before the run was queued);
    // an HTML or empty body is a gateway that may have cut off a run that goes on.
    const fromDify = error.code !== undefined;
    return { kind: 'ambiguous', error: rowError, runId: undefined, taskId: undefined, likelyRunning: !fromDify };
  }
  if (error.status === 408) return { kind: 'ambiguous', error: rowError, runId: undefined, taskId: undefined, likelyRunning: true };
  return { kind: 'rejected', error: rowError };
}

/** Errors that every row would hit: a bad key, an unpublished or disabled app, a wrong workflow id. */
function isAppError(error: APIError): boolean {
  if (error.status === 401) return true;
  if (error.status === 403) return error.code !== 'file_access_denied';
  if (error.code !== undefined && APP_CODES.has(error.code)) return true;
  if (/workflow not published|workflow not found|invalid workflow_id|cannot use draft workflow/i.test(error.message)) return true;
  return false;
}
