/**
 * `difyrun status` of a run Dify still calls `running` long after it could be. Dify 1.13 never
 * records a stop: a run stopped through the API (or by a batch's Ctrl-C) stays `running` in run
 * detail and the logs for good. Past Dify's default limit on a run's time, the run is almost
 * certainly over, and status says so instead of reporting (or watching) it as live.
 */
import type { WorkflowRunDetailFields } from '../../protocol/index.js';

/** Dify's WORKFLOW_MAX_EXECUTION_TIME default: a run on default settings cannot go on longer. */
export const DIFY_MAX_RUN_SECONDS = 1200;

/** The note for a run reported `running` past Dify's limit, or undefined. `nowSeconds`: Unix seconds. */
export function staleRunNote(detail: Pick<WorkflowRunDetailFields, 'status' | 'created_at'>, nowSeconds: number): string | undefined {
  if (detail.status !== 'running') return undefined;
  const age = nowSeconds - detail.created_at;
  if (age <= DIFY_MAX_RUN_SECONDS) return undefined;
  return (
    `Dify has called this run running for ${Math.floor(age / 60)} min, longer than its default limit on a run (20 min, WORKFLOW_MAX_EXECUTION_TIME). ` +
    'Dify never records a stop, so a stopped run stays "running" for good: this one was most likely stopped, unless your server allows longer runs.'
  );
}
