/**
 * Finding out what became of a run instead of starting it again (Dify bills every POST).
 *
 * - With a run id: reattach to its event stream (`/workflow/{id}/events`) and read it to the
 *   end; if that endpoint fails, poll run detail until the run leaves `running`.
 * - Without one: look the row's user up in `/workflows/logs`. Dify writes a log entry only
 *   when a run finishes, so a run that may still be going is waited for, up to a window.
 */
import type { DifyClient } from '../../client/client.js';
import { NotFoundError } from '../../client/errors.js';
import type { WorkflowRunResult } from '../../client/workflow-stream.js';
import type { WorkflowRunDetail } from '../../client/resources/workflows.js';
import { abortableDelay } from '../../util/abortable-delay.js';

export interface RecoveryTarget {
  user: string;
  /** When the attempt was sent (ms since epoch): runs created before it are not this attempt's. */
  since: number;
  runId?: string | undefined;
  /** Runs of earlier attempts of this row, already accounted for. */
  knownRunIds: readonly string[];
}

export interface Recovered {
  result: WorkflowRunResult;
  /** Runs found for this attempt beyond the first: executions we did not want. */
  extraRuns: number;
}

export interface RecoveryOptions {
  client: DifyClient;
  /** How long to wait for a run that may still be going. */
  waitMs: number;
  streamIdleTimeoutMs: number;
  signal: AbortSignal;
}

/** The run's final result, or undefined when no run of this attempt exists. */
export async function recoverRun(target: RecoveryTarget, options: RecoveryOptions): Promise<Recovered | undefined> {
  if (target.runId !== undefined) {
    const result = await followRun(target.runId, target.user, options);
    return result ? { result, extraRuns: 0 } : undefined;
  }
  return findInLogs(target, options);
}

async function followRun(runId: string, user: string, options: RecoveryOptions): Promise<WorkflowRunResult | undefined> {
  try {
    const stream = options.client.workflows.events(runId, { user }, { signal: options.signal, streamIdleTimeout: options.streamIdleTimeoutMs });
    const result = await stream.finalResult();
    if (result.data.status !== 'running') return result;
  } catch {
    // Older Dify has no reattach endpoint, or the stream dropped again: fall back to polling.
  }
  return pollDetail(runId, options);
}

async function pollDetail(runId: string, options: RecoveryOptions): Promise<WorkflowRunResult | undefined> {
  const deadline = Date.now() + options.waitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    if (options.signal.aborted) return undefined;
    try {
      const detail = await options.client.workflows.get(runId, { signal: options.signal });
      if (detail.status !== 'running') return resultFromDetail(detail);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) return undefined;
    await abortableDelay(delay, options.signal);
  }
}

async function findInLogs(target: RecoveryTarget, options: RecoveryOptions): Promise<Recovered | undefined> {
  const deadline = Date.now() + options.waitMs;
  // Log timestamps are whole seconds: look from the second before the attempt.
  const after = new Date(Math.floor(target.since / 1000) * 1000 - 1000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    if (options.signal.aborted) return undefined;
    const page = await options.client.workflows.logs(
      { endUserSessionId: target.user, createdAtAfter: after, limit: 100 },
      { signal: options.signal },
    );
    const runs = page.data
      .map((entry) => entry.workflow_run)
      .filter((run) => !target.knownRunIds.includes(run.id) && run.created_at * 1000 >= target.since - 1000)
      .sort((a, b) => a.created_at - b.created_at);
    const first = runs[0];
    if (first) {
      const detail = await options.client.workflows.get(first.id, { signal: options.signal });
      return { result: resultFromDetail(detail), extraRuns: runs.length - 1 };
    }
    if (Date.now() + delay > deadline) return undefined;
    await abortableDelay(delay, options.signal);
  }
}

function resultFromDetail(detail: WorkflowRunDetail): WorkflowRunResult {
  return {
    task_id: '',
    workflow_run_id: detail.id,
    data: {
      id: detail.id,
      workflow_id: detail.workflow_id,
      status: detail.status,
      outputs: detail.outputs,
      error: detail.error,
      elapsed_time: detail.elapsed_time,
      total_tokens: detail.total_tokens,
      total_steps: detail.total_steps,
      created_at: detail.created_at,
      finished_at: detail.finished_at ?? detail.created_at,
    },
  };
}
