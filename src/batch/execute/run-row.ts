/**
 * Runs one row to an outcome: attempts with classified retries, the journal written before
 * each POST and when the run id arrives, and recovery instead of re-execution whenever an
 * attempt may have reached the server.
 */
import type { DifyClient } from '../../client/client.js';
import type { WorkflowRunResult, WorkflowStream } from '../../client/workflow-stream.js';
import type { WorkflowInputs } from '../../protocol/index.js';
import { abortableDelay } from '../../util/abortable-delay.js';
import type { Journal, InFlight } from '../record/journal.js';
import type { OutcomeRecord, RowError } from '../record/outcome.js';
import type { AdaptiveWindow } from '../schedule/adaptive-window.js';
import type { RateGate } from '../schedule/rate-gate.js';
import { classify, type Verdict } from './classify.js';
import { recoverRun, type Recovered, type RecoveryTarget } from './recover.js';

export interface RetryPolicy {
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Rate-limited attempts never ran, so they do not use up MAX_RETRIES; this caps them. */
const MAX_OVERLOADED_RETRIES = 30;

export interface ExecutionContext {
  client: DifyClient;
  mode: 'streaming' | 'blocking';
  workflowId: string | undefined;
  /** Per-request timeout (headers; whole response in blocking mode). */
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  retry: RetryPolicy;
  journal: Journal;
  window: AdaptiveWindow;
  gate: RateGate;
  /** Aborts at the second Ctrl-C / when everything must end now. */
  hardStop: AbortSignal;
  /** Aborts at the first Ctrl-C: streaming rows are stopped through the stop API. */
  interrupt: AbortSignal;
  /** How long to wait for a run that may still be going to show up (adapts to observed run times). */
  recoveryWaitMs(): number;
  events: ExecutionEvents;
  random?: () => number;
}

export interface ExecutionEvents {
  onRetry(id: string, verdict: Verdict): void;
  onRecovered(id: string, extraRuns: number): void;
  /** An ambiguous attempt was not found anywhere and the row is sent again (a possible duplicate). */
  onUnresolved(id: string, user: string, since: number): void;
  onQuota(error: RowError): void;
  /** `cause` is the SDK error itself, for a message that says what to fix. */
  onFatal(cause: unknown): void;
}

export interface RowJob {
  id: string;
  user: string;
  /** The row as read, recorded in the output. */
  recordInputs: Record<string, unknown>;
  inputs: () => Promise<WorkflowInputs>;
  /** Set when a previous process left this row in flight. */
  inFlight?: InFlight | undefined;
}

/** Thrown when Ctrl-C happened before this row's run could be settled (blocking mode): keep it in the journal. */
export class RowAbandoned extends Error {}

interface Tally {
  attempts: number;
  retries: number;
  price: number;
  currency: string | null;
  taskId: string | null;
  runId: string | null;
  knownRunIds: string[];
}

export async function runRow(job: RowJob, ctx: ExecutionContext): Promise<OutcomeRecord> {
  const startedAt = Date.now();
  const tally: Tally = { attempts: 0, retries: 0, price: 0, currency: null, taskId: null, runId: null, knownRunIds: [] };
  const finish = (result: WorkflowRunResult | undefined, error: RowError | null) => buildOutcome(job, tally, startedAt, result, error);

  if (job.inFlight) {
    tally.knownRunIds.push(...job.inFlight.earlierRunIds);
    const recovered = await recover(
      { user: job.inFlight.user, since: job.inFlight.at, runId: job.inFlight.runId, knownRunIds: tally.knownRunIds },
      // A known run is followed to its end; a logs lookup waits counting from when the earlier process posted.
      job.inFlight.runId !== undefined ? ctx.recoveryWaitMs() : Math.max(0, job.inFlight.at + ctx.recoveryWaitMs() - Date.now()),
      ctx,
    );
    if (recovered instanceof Error) return finish(undefined, recoveryFailed(recovered));
    if (recovered) {
      ctx.events.onRecovered(job.id, recovered.extraRuns);
      tally.taskId = job.inFlight.taskId ?? null;
      return finish(recovered.result, null);
    }
    if (job.inFlight.runId === undefined) ctx.events.onUnresolved(job.id, job.inFlight.user, job.inFlight.at);
  }

  const inputs = await job.inputs().catch((error: Error) => error);
  if (inputs instanceof Error) return finish(undefined, { code: 'file_upload_failed', message: inputs.message, http_status: null });

  let transientRetries = 0;
  let overloadedRetries = 0;
  let lastError: RowError | null = null;
  for (;;) {
    if (ctx.interrupt.aborted) return finish(undefined, lastError ?? interruptedError());
    try {
      await ctx.gate.take(ctx.interrupt);
    } catch {
      return finish(undefined, lastError ?? interruptedError());
    }
    tally.attempts++;
    const since = Date.now();
    await ctx.journal.posting(job.id, job.user, since);
    let verdict: Verdict;
    let caught: unknown;
    try {
      const result = await attempt(job, inputs, ctx, tally);
      ctx.window.onSuccess();
      return finish(result, null);
    } catch (error) {
      if (error instanceof RowAbandoned) throw error;
      caught = error;
      verdict = classify(error);
    }
    lastError = verdict.error;
    switch (verdict.kind) {
      case 'fatal':
        ctx.events.onFatal(caught);
        return finish(undefined, verdict.error);
      case 'quota':
        ctx.events.onQuota(verdict.error);
        return finish(undefined, verdict.error);
      case 'rejected':
      case 'run-error':
        return finish(undefined, verdict.error);
      case 'overloaded': {
        ctx.window.onOverloaded(since);
        if (++overloadedRetries > MAX_OVERLOADED_RETRIES) return finish(undefined, verdict.error);
        // A server-given Retry-After holds back every row; otherwise only this row waits.
        if (verdict.retryAfterMs !== undefined) ctx.gate.pauseUntil(Date.now() + verdict.retryAfterMs);
        else await abortableDelay(backoffMs(overloadedRetries - 1, ctx), ctx.interrupt);
        break;
      }
      case 'not-sent':
        if (++transientRetries > ctx.retry.maxRetries) return finish(undefined, verdict.error);
        await abortableDelay(backoffMs(transientRetries - 1, ctx), ctx.interrupt);
        break;
      case 'ambiguous': {
        const recovered = await recover({ user: job.user, since, runId: verdict.runId, knownRunIds: tally.knownRunIds }, verdict.likelyRunning ? ctx.recoveryWaitMs() : 0, ctx);
        // Sending again without knowing whether the first run exists could bill it twice.
        if (recovered instanceof Error) return finish(undefined, recoveryFailed(recovered));
        if (recovered) {
          ctx.events.onRecovered(job.id, recovered.extraRuns);
          if (verdict.taskId) tally.taskId = verdict.taskId;
          return finish(recovered.result, null);
        }
        if (verdict.runId !== undefined) tally.knownRunIds.push(verdict.runId);
        if (++transientRetries > ctx.retry.maxRetries) return finish(undefined, verdict.error);
        if (verdict.runId === undefined) ctx.events.onUnresolved(job.id, job.user, since);
        await abortableDelay(backoffMs(transientRetries - 1, ctx), ctx.interrupt);
        break;
      }
    }
    tally.retries++;
    ctx.events.onRetry(job.id, verdict);
  }
}

/** What became of an earlier attempt, asked of the server; an Error when the server could not say. */
function recover(target: RecoveryTarget, waitMs: number, ctx: ExecutionContext): Promise<Recovered | undefined | Error> {
  const options = { client: ctx.client, waitMs, streamIdleTimeoutMs: ctx.streamIdleTimeoutMs, signal: ctx.hardStop };
  return recoverRun(target, options).catch((error: unknown) => error as Error);
}

/** One POST: streaming (journal the run id on the first event) or blocking. */
async function attempt(job: RowJob, inputs: WorkflowInputs, ctx: ExecutionContext, tally: Tally): Promise<WorkflowRunResult> {
  const params = { inputs, user: job.user, workflowId: ctx.workflowId };
  if (ctx.mode === 'blocking') {
    const onInterrupt = new AbortController();
    const abort = () => onInterrupt.abort();
    ctx.interrupt.addEventListener('abort', abort, { once: true });
    try {
      return await ctx.client.workflows.run(params, { signal: onInterrupt.signal, timeout: ctx.timeoutMs, maxRetries: 0 });
    } catch (error) {
      if (ctx.interrupt.aborted) throw new RowAbandoned('interrupted while a blocking run was in flight');
      throw error;
    } finally {
      ctx.interrupt.removeEventListener('abort', abort);
    }
  }
  const stream = ctx.client.workflows.stream(params, {
    timeout: ctx.timeoutMs,
    maxRetries: 0,
    streamIdleTimeout: ctx.streamIdleTimeoutMs,
    signal: ctx.hardStop,
  });
  const stopOnInterrupt = () => void stopStream(stream);
  ctx.interrupt.addEventListener('abort', stopOnInterrupt, { once: true });
  try {
    let journaled = false;
    for await (const event of stream) {
      if (!journaled && stream.workflowRunId !== undefined && stream.taskId !== undefined) {
        journaled = true;
        tally.runId = stream.workflowRunId;
        tally.taskId = stream.taskId;
        await ctx.journal.started(job.id, stream.workflowRunId, stream.taskId);
        if (ctx.interrupt.aborted) stopOnInterrupt();
      }
      if (event.event === 'node_finished') {
        const meta = event.data.execution_metadata;
        const price = Number(meta?.total_price ?? 0);
        if (Number.isFinite(price)) tally.price += price;
        if (meta?.currency) tally.currency = meta.currency;
      }
    }
    return await stream.finalResult();
  } finally {
    ctx.interrupt.removeEventListener('abort', stopOnInterrupt);
  }
}

/** Ctrl-C: ask the server to stop the run; if it does not end within 10 s, drop the connection. */
async function stopStream(stream: WorkflowStream): Promise<void> {
  if (stream.taskId === undefined) return; // not started yet: the journal entry will be recovered on resume
  const giveUp = setTimeout(() => stream.abort(), 10_000);
  giveUp.unref();
  try {
    await stream.stop();
  } catch {
    stream.abort();
  }
}

function backoffMs(retryIndex: number, ctx: ExecutionContext): number {
  const { initialDelayMs, maxDelayMs } = ctx.retry;
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** retryIndex);
  // "Full jitter" would allow near-zero waits; keep at least half the step.
  return Math.round(ceiling * (0.5 + 0.5 * (ctx.random ?? Math.random)()));
}

function recoveryFailed(error: Error): RowError {
  return { code: 'recovery_failed', message: `Could not find out whether the run exists, so it was not sent again: ${error.message}`, http_status: null };
}

function interruptedError(): RowError {
  return { code: 'interrupted', message: 'Interrupted before the row could run (Ctrl-C)', http_status: null };
}

function buildOutcome(job: RowJob, tally: Tally, startedAt: number, result: WorkflowRunResult | undefined, error: RowError | null): OutcomeRecord {
  const data = result?.data;
  const status = data?.status ?? null;
  const succeeded = error === null && (status === 'succeeded' || status === 'partial-succeeded');
  let rowError = error;
  if (!succeeded && rowError === null) {
    rowError =
      status === 'stopped'
        ? { code: 'stopped', message: data?.error ?? 'Stopped by user.', http_status: null }
        : { code: 'workflow_failed', message: data?.error ?? `Workflow ended with status ${String(status)}`, http_status: null };
  }
  const price = tally.price > 0 ? tally.price : typeof data?.total_price === 'number' ? data.total_price : Number(data?.total_price ?? NaN);
  return {
    id: job.id,
    status: succeeded ? 'success' : 'failed',
    inputs: job.recordInputs,
    outputs: data?.outputs ?? null,
    workflow_run_id: result?.workflow_run_id || tally.runId,
    workflow_id: data?.workflow_id || null,
    executed_at: new Date().toISOString(),
    retry_count: tally.retries,
    task_id: result?.task_id || tally.taskId,
    workflow_status: status,
    error: rowError,
    elapsed_time: data?.elapsed_time ?? null,
    total_tokens: data?.total_tokens ?? null,
    total_price: Number.isFinite(price) ? price : null,
    currency: tally.currency ?? (typeof data?.currency === 'string' ? data.currency : null),
    latency_ms: Date.now() - startedAt,
    attempts: tally.attempts,
  };
}
