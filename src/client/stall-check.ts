/**
 * What a quiet stream asks the server: has the run already ended? A stream that stalled (the
 * connection stays open, no bytes, not even pings) may belong to a run that finished long ago;
 * its run detail then has the result, and waiting out the idle timeout would only hold the
 * caller up. A run still going (or a failed look-up) says nothing: the stream's own deadlines
 * still apply.
 */
import type { JsonObject, WorkflowRunStatus } from '../protocol/index.js';
import type { WorkflowRunDetail } from './resources/workflows.js';
import { resultFromDetail, type WorkflowRunResult } from './run-result.js';

/** Fetches run detail (GET /workflows/run/{id}). */
export type GetRun = (runId: string, signal: AbortSignal) => Promise<WorkflowRunDetail>;

/** Statuses a run does not leave. `paused` is not one: a paused stream ends with its own event. */
const ENDED: ReadonlySet<WorkflowRunStatus> = new Set(['succeeded', 'failed', 'stopped', 'partial-succeeded']);

/** Silence shorter than this is never checked on, however often the server pings. */
export const DEFAULT_STALL_CHECK_AFTER_MS = 5000;

/** The run's result from its detail when it has ended; undefined while it runs or when the server could not say. */
export async function endedRunResult<O extends object = JsonObject>(getRun: GetRun, runId: string, taskId: string | undefined, signal: AbortSignal): Promise<WorkflowRunResult<O> | undefined> {
  try {
    const detail = await getRun(runId, signal);
    return ENDED.has(detail.status) ? (resultFromDetail(detail, taskId) as WorkflowRunResult<O>) : undefined;
  } catch {
    return undefined;
  }
}
