/**
 * What a row does next after an attempt failed or a recovery answered: a pure function of the
 * row's retry counts and what just happened, so every retry/recover rule is one table
 * (test/batch/next-step.test.ts). Waiting, posting and recovering are left to the caller.
 */
import type { RowError } from '../record/outcome.js';
import type { Verdict } from './classify.js';

/** Rate-limited attempts never ran, so they do not use up maxRetries; this caps them. */
export const MAX_OVERLOADED_RETRIES = 30;

export interface RetryCounts {
  /** Retries of attempts that failed without running (or proved not to have run). */
  transient: number;
  /** Retries after a rate limiter turned the attempt away. */
  overloaded: number;
}

export type RowEvent =
  /** An attempt failed; `verdict` says what the error means. */
  | { kind: 'attempt-failed'; verdict: Verdict }
  /** Recovery of an ambiguous or never-started attempt found no run of it. */
  | { kind: 'run-absent'; verdict: Extract<Verdict, { kind: 'ambiguous' | 'not-started' }> }
  /** Recovery of an ambiguous attempt found its run, still going when the wait ran out. */
  | { kind: 'run-still-running'; runId: string; waitedMs: number }
  /** The server could not say whether the run exists. */
  | { kind: 'recovery-failed'; message: string };

export type NextStep =
  /** The row ends failed; `stopBatch` when every other row would fail the same way. */
  | { do: 'fail'; error: RowError; stopBatch?: 'fatal' | 'quota' }
  /** Ask the server what became of the attempt before anything is sent again. */
  | { do: 'recover'; runId: string | undefined; waitForRun: boolean }
  /**
   * Send again after waiting: `backoff` is the 0-based step of the shared exponential backoff;
   * `pauseAllMs` is a server-given Retry-After that holds back every row.
   */
  | { do: 'retry'; backoff: number | undefined; pauseAllMs: number | undefined };

export function nextStep(counts: RetryCounts, event: RowEvent, maxRetries: number): { counts: RetryCounts; step: NextStep } {
  const stay = (step: NextStep) => ({ counts, step });
  switch (event.kind) {
    case 'recovery-failed':
      // Sending again without knowing whether the first run exists could bill it twice.
      return stay({
        do: 'fail',
        error: { code: 'recovery_failed', message: `Could not find out whether the run exists, so it was not sent again: ${event.message}`, http_status: null },
      });
    case 'run-still-running':
      return stay({
        do: 'fail',
        error: {
          code: 'recovery_timeout',
          message: `Run ${event.runId} was still running after ${Math.round(event.waitedMs / 1000)} s of waiting; it was not sent again (check it with \`difyrun status ${event.runId}\`)`,
          http_status: null,
        },
      });
    case 'run-absent': {
      // A stream that never started may still be queued on the server: sending it again could run it twice.
      if (event.verdict.kind === 'not-started') return stay({ do: 'fail', error: event.verdict.error });
      const next = { ...counts, transient: counts.transient + 1 };
      if (next.transient > maxRetries) return { counts: next, step: { do: 'fail', error: event.verdict.error } };
      return { counts: next, step: { do: 'retry', backoff: next.transient - 1, pauseAllMs: undefined } };
    }
    case 'attempt-failed':
      return afterFailure(counts, event.verdict, maxRetries);
  }
}

function afterFailure(counts: RetryCounts, verdict: Verdict, maxRetries: number): { counts: RetryCounts; step: NextStep } {
  switch (verdict.kind) {
    case 'fatal':
    case 'quota':
      return { counts, step: { do: 'fail', error: verdict.error, stopBatch: verdict.kind } };
    case 'rejected':
    case 'run-error':
      return { counts, step: { do: 'fail', error: verdict.error } };
    case 'ambiguous':
      return { counts, step: { do: 'recover', runId: verdict.runId, waitForRun: verdict.likelyRunning } };
    case 'not-started':
      // A run that finished at once would be in the logs already; one that never started is not.
      return { counts, step: { do: 'recover', runId: undefined, waitForRun: false } };
    case 'overloaded': {
      const next = { ...counts, overloaded: counts.overloaded + 1 };
      if (next.overloaded > MAX_OVERLOADED_RETRIES) return { counts: next, step: { do: 'fail', error: verdict.error } };
      const serverSaid = verdict.retryAfterMs !== undefined;
      return { counts: next, step: { do: 'retry', backoff: serverSaid ? undefined : next.overloaded - 1, pauseAllMs: verdict.retryAfterMs } };
    }
    case 'not-sent': {
      const next = { ...counts, transient: counts.transient + 1 };
      if (next.transient > maxRetries) return { counts: next, step: { do: 'fail', error: verdict.error } };
      return { counts: next, step: { do: 'retry', backoff: next.transient - 1, pauseAllMs: undefined } };
    }
  }
}
