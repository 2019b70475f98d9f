/**
 * One queued row through the batch executor's row runner, with the queue's shared pieces in
 * place of the local ones: the row-state store in Redis instead of the journal, the app's
 * global window and rate gate instead of the process's own. Classification, retries,
 * recovery and AIMD are the local executor's, unchanged.
 */
import type { DifyClient } from '../../client/client.js';
import { describeError } from '../../client/describe-error.js';
import { runRow, type ExecutionContext } from '../../batch/execute/run-row.js';
import type { Verdict } from '../../batch/execute/classify.js';
import type { Journal, InFlight } from '../../batch/record/journal.js';
import type { OutcomeRecord, RowError } from '../../batch/record/outcome.js';
import type { AdaptiveWindow } from '../../batch/schedule/adaptive-window.js';
import type { RateGate } from '../../batch/schedule/rate-gate.js';
import type { StopKind } from '../batch-record.js';
import type { GlobalRateGate } from '../limits/global-rate-gate.js';
import type { GlobalWindow } from '../limits/global-window.js';
import type { RowJobData } from '../row-job.js';
import type { WorkerBatch } from './batch-contexts.js';

export interface AppServices {
  client: DifyClient;
  window: GlobalWindow;
  gate: GlobalRateGate;
}

export interface RowResult {
  outcome: OutcomeRecord;
  recoveredExtraRuns?: number;
  unresolved?: { user: string; since: number };
}

export interface ExecuteRowOptions {
  app: AppServices;
  batch: WorkerBatch;
  row: RowJobData;
  inFlight: InFlight | undefined;
  /** Ends everything now (the worker's second Ctrl-C). */
  hardStop: AbortSignal;
  onStop(kind: Exclude<StopKind, 'interrupt'>, reason: string): void;
  onRetry?(verdict: Verdict): void;
}

export async function executeRow(options: ExecuteRowOptions): Promise<RowResult> {
  const { app, batch, row } = options;
  const settings = batch.record.settings;
  const result: Omit<RowResult, 'outcome'> = {};
  const context: ExecutionContext = {
    client: app.client,
    mode: settings.mode,
    workflowId: settings.workflowId,
    timeoutMs: settings.timeoutSeconds * 1000,
    streamIdleTimeoutMs: settings.streamIdleTimeoutSeconds * 1000,
    retry: {
      maxRetries: settings.maxRetries,
      initialDelayMs: settings.initialRetryDelaySeconds * 1000,
      maxDelayMs: settings.maxRetryDelaySeconds * 1000,
    },
    // The shared stand-ins have the methods the row runner calls (posting/started, onSuccess/onOverloaded, take/pauseUntil).
    journal: batch.rows as unknown as Journal,
    window: app.window as unknown as AdaptiveWindow,
    gate: app.gate as unknown as RateGate,
    hardStop: options.hardStop,
    interrupt: batch.interruptSignal(row.g),
    recoveryWaitMs: () => batch.recoveryWaitMs(),
    events: {
      onRetry: (_id, verdict) => options.onRetry?.(verdict),
      onRecovered: (_id, extraRuns) => (result.recoveredExtraRuns = extraRuns),
      onUnresolved: (_id, user, since) => (result.unresolved ??= { user, since }),
      onQuota: (error: RowError) => options.onStop('quota', `quota exhausted (${error.message}); in-flight rows were finished, unstarted rows were not run`),
      onFatal: (cause) => options.onStop('fatal', describeError(cause, app.client.baseURL)),
    },
  };
  const outcome = await runRow(
    { id: row.id, user: row.user, recordInputs: row.record, inputs: () => Promise.resolve(row.inputs), inFlight: options.inFlight },
    context,
  );
  if (outcome.status === 'success' && outcome.attempts > 0) batch.finished(outcome.latency_ms);
  return { outcome, ...result };
}
