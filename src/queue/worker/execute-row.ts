/**
 * One queued row through the batch executor's row API (executeRow), with the queue's shared
 * pieces in place of the local ones: the row-state store in Redis instead of the journal, and
 * the app's global window and rate gate as the pacer. Classification, retries, recovery and
 * AIMD are the local executor's, unchanged.
 */
import type { DifyClient } from '../../client/client.js';
import { executeRow, type InFlight, type RowOutcome, type RowPacer } from '../../batch/index.js';
import type { GlobalRateGate } from '../limits/global-rate-gate.js';
import type { GlobalWindow } from '../limits/global-window.js';
import type { RowJobData } from '../row-job.js';
import type { WorkerBatch } from './batch-contexts.js';

export interface AppServices {
  client: DifyClient;
  window: GlobalWindow;
  gate: GlobalRateGate;
}

export interface ExecuteRowOptions {
  app: AppServices;
  batch: WorkerBatch;
  row: RowJobData;
  previous: InFlight | undefined;
  /** Aborts when this worker must let go of the row now (its lease was lost, a second Ctrl-C). */
  letGo: AbortSignal;
}

export async function executeQueuedRow(options: ExecuteRowOptions): Promise<RowOutcome> {
  const { app, batch, row, letGo } = options;
  const settings = batch.record.settings;
  const outcome = await executeRow(
    { id: row.id, user: row.user, recordInputs: row.record, inputs: () => Promise.resolve(row.inputs), previous: options.previous },
    {
      client: app.client,
      config: {
        mode: batch.mode.decision.mode,
        workflowId: settings.workflowId,
        timeoutMs: settings.timeoutSeconds * 1000,
        streamIdleTimeoutMs: settings.streamIdleTimeoutSeconds * 1000,
        maxRetries: settings.maxRetries,
        initialRetryDelayMs: settings.initialRetryDelaySeconds * 1000,
        maxRetryDelayMs: settings.maxRetryDelaySeconds * 1000,
        recoveryWaitMs: batch.latencies.recoveryWaitMs(settings.timeoutSeconds * 1000),
      },
      signals: { stop: batch.interruptSignal(row.g), abandon: letGo },
      store: batch.rows,
      pacer: new GlobalPacer(app, letGo),
      startOrder: batch.startOrder,
    },
  );
  batch.observe(outcome);
  return outcome;
}

/** The app's pacing on every worker: the shared rate gate before each attempt, the shared window after it. */
class GlobalPacer implements RowPacer {
  constructor(
    private readonly app: AppServices,
    private readonly letGo: AbortSignal,
  ) {}

  beforeAttempt(signal: AbortSignal): Promise<void> {
    // A row this worker no longer holds is not sent: the worker that took it over decides.
    return this.app.gate.take(AbortSignal.any([signal, this.letGo]));
  }

  afterAttempt(result: 'ran' | 'overloaded', startedAt: number, pauseAllMs?: number): void {
    if (result === 'ran') return this.app.window.onSuccess();
    if (pauseAllMs !== undefined) void this.app.gate.pauseUntil(Date.now() + pauseAllMs);
    this.app.window.onOverloaded(startedAt);
  }
}
