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

/** Ends the connection of a quiet stream whose run has already ended (never seen by callers). */
class RunEndedWhileQuiet extends Error {}

/** One stream's quiet check: one look-up at a time; a run found ended aborts the connection. */
export class QuietRunCheck<O extends object = JsonObject> {
  #checking: AbortController | undefined;
  #result: WorkflowRunResult<O> | undefined;

  constructor(
    private readonly getRun: GetRun,
    /** Aborts the stream's connection; its reads then throw the reason. */
    private readonly abortConnection: (reason: Error) => void,
  ) {}

  async check(runId: string | undefined, taskId: string | undefined, over: () => boolean): Promise<void> {
    if (runId === undefined || this.#checking !== undefined || over()) return;
    this.#checking = new AbortController();
    const result = await endedRunResult<O>(this.getRun, runId, taskId, this.#checking.signal);
    this.#checking = undefined;
    if (result === undefined || over()) return;
    this.#result = result;
    this.abortConnection(new RunEndedWhileQuiet());
  }

  /** The ended run's result, when `error` is the abort this check caused. */
  resultFor(error: unknown): WorkflowRunResult<O> | undefined {
    return error instanceof RunEndedWhileQuiet ? this.#result : undefined;
  }

  /** The stream ended: a look-up still going is dropped. */
  cancel(): void {
    this.#checking?.abort();
  }
}

/** The run's result from its detail when it has ended; undefined while it runs or when the server could not say. */
async function endedRunResult<O extends object>(
  getRun: GetRun,
  runId: string,
  taskId: string | undefined,
  signal: AbortSignal,
): Promise<WorkflowRunResult<O> | undefined> {
  try {
    const detail = await getRun(runId, signal);
    return ENDED.has(detail.status) ? (resultFromDetail(detail, taskId) as WorkflowRunResult<O>) : undefined;
  } catch {
    return undefined;
  }
}
