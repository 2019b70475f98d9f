/**
 * Finding out what became of a run instead of starting it again (Dify bills every POST).
 *
 * - With a run id: reattach to its event stream (`/workflow/{id}/events`) and read it to the
 *   end; if that endpoint fails, poll run detail until the run leaves `running`.
 * - Without one: look the row's user up in `/workflows/logs`, waiting up to a window for a run
 *   that may not be listed yet; a run listed while still `running` is then followed as above.
 *
 * Every wait ends at `waitMs`: a run still going then is reported as such (never as absent, so
 * it is not sent again). Dify never records a stop (the run stays `running` for good), so a run
 * difyrun asked to stop is taken as stopped when the server still calls it running.
 */
import type { DifyClient } from '../../client/client.js';
import { NotFoundError } from '../../client/errors.js';
import { resultFromDetail } from '../../client/run-result.js';
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
  /** Set when difyrun asked the server to stop this run. */
  stopRequested?: boolean | undefined;
  /**
   * The row's values: a run found in the logs must have been given these (checked on the values
   * the run recorded). Without it a fixed `--user`, shared by every row, would let one row's
   * recovery take another row's run.
   */
  inputs?: Readonly<Record<string, unknown>> | undefined;
}

export type Recovery =
  /** `extraRuns`: runs found for this attempt beyond the first, executions we did not want. */
  | { kind: 'found'; result: WorkflowRunResult; extraRuns: number }
  /** No run of this attempt exists (as far as the server can tell). */
  | { kind: 'absent' }
  /** The run exists and was still going when the wait ran out. */
  | { kind: 'running'; runId: string; waitedMs: number };

export interface RecoveryOptions {
  client: DifyClient;
  /** How long to wait for a run that may still be going. */
  waitMs: number;
  streamIdleTimeoutMs: number;
  signal: AbortSignal;
}

/** What became of the attempt: its run's final result, no run, or a run still going. */
export async function recoverRun(target: RecoveryTarget, options: RecoveryOptions): Promise<Recovery> {
  if (target.runId !== undefined) return followRun(target.runId, target, options);
  return findInLogs(target, options);
}

async function followRun(runId: string, target: RecoveryTarget, options: RecoveryOptions): Promise<Recovery> {
  const began = Date.now();
  const deadline = began + options.waitMs;
  if (!target.stopRequested) {
    // A timer of our own: Node 20's AbortSignal.any does not keep an AbortSignal.timeout alive,
    // so after a garbage collection the wait could outlast waitMs.
    const waitEnded = new AbortController();
    const timer = setTimeout(() => waitEnded.abort(), Math.max(1, options.waitMs));
    try {
      const signal = AbortSignal.any([options.signal, waitEnded.signal]);
      const stream = options.client.workflows.events(runId, { user: target.user }, { signal, streamIdleTimeout: options.streamIdleTimeoutMs });
      const result = await stream.finalResult();
      if (result.data.status !== 'running') return { kind: 'found', result, extraRuns: 0 };
    } catch {
      // Older Dify has no reattach endpoint, the stream dropped again or the wait ran out: poll.
    } finally {
      clearTimeout(timer);
    }
  }
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    if (options.signal.aborted) return { kind: 'running', runId, waitedMs: Date.now() - began };
    try {
      const detail = await options.client.workflows.get(runId, { signal: options.signal });
      if (detail.status !== 'running') return { kind: 'found', result: resultFromDetail(detail), extraRuns: 0 };
      if (target.stopRequested) return { kind: 'found', result: stoppedByDifyrun(detail), extraRuns: 0 };
    } catch (error) {
      if (error instanceof NotFoundError) return { kind: 'absent' };
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() + delay > deadline) return { kind: 'running', runId, waitedMs: Date.now() - began };
    await abortableDelay(delay, options.signal);
  }
}

async function findInLogs(target: RecoveryTarget, options: RecoveryOptions): Promise<Recovery> {
  const deadline = Date.now() + options.waitMs;
  // Log timestamps are whole seconds: look from the second before the attempt.
  const after = new Date(Math.floor(target.since / 1000) * 1000 - 1000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    if (options.signal.aborted) return { kind: 'absent' };
    const page = await options.client.workflows.logs({ endUserSessionId: target.user, createdAtAfter: after, limit: 100 }, { signal: options.signal });
    const listed = page.data
      .map((entry) => entry.workflow_run)
      .filter((run) => !target.knownRunIds.includes(run.id) && run.created_at * 1000 >= target.since - 1000)
      .sort((a, b) => a.created_at - b.created_at);
    const runs: WorkflowRunDetail[] = [];
    for (const run of listed) {
      const detail = await options.client.workflows.get(run.id, { signal: options.signal });
      if (sameInputs(detail.inputs, target.inputs)) runs.push(detail);
    }
    const first = runs[0];
    if (first) {
      const extraRuns = runs.length - 1;
      if (first.status !== 'running') return { kind: 'found', result: resultFromDetail(first), extraRuns };
      // Dify lists a run from its start: follow it to its end within what is left of the wait.
      const followed = await followRun(first.id, target, { ...options, waitMs: Math.max(0, deadline - Date.now()) });
      return followed.kind === 'found' ? { ...followed, extraRuns } : followed;
    }
    if (options.signal.aborted || Date.now() + delay > deadline) return { kind: 'absent' };
    await abortableDelay(delay, options.signal);
  }
}

/**
 * Whether a run recorded these row values. Only plain values the run recorded are compared (as
 * text: Dify coerces numbers); files, columns that are not inputs and empty cells say nothing.
 */
function sameInputs(recorded: Readonly<Record<string, unknown>>, row: Readonly<Record<string, unknown>> | undefined): boolean {
  if (row === undefined) return true;
  for (const [name, value] of Object.entries(row)) {
    if (value === null || value === undefined || value === '' || typeof value === 'object' || !(name in recorded)) continue;
    const stored = recorded[name];
    if (stored !== null && typeof stored !== 'object' && String(stored) !== String(value)) return false;
  }
  return true;
}

/** Dify keeps a stopped run `running` for good; difyrun records what it did. */
function stoppedByDifyrun(detail: WorkflowRunDetail): WorkflowRunResult {
  const result = resultFromDetail(detail);
  result.data.status = 'stopped';
  result.data.error = 'Stopped by difyrun (Dify still shows the run as running: it does not record stops)';
  return result;
}
