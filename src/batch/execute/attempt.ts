/**
 * One POST of a row: blocking, or streaming with the run id handed to the row-state store the
 * moment the first event names it. Returns the run's result, or throws what went wrong for
 * classify() to judge.
 */
import type { DifyClient } from '../../client/client.js';
import type { WorkflowRunResult, WorkflowStream } from '../../client/workflow-stream.js';
import type { InputVariable, WorkflowInputs } from '../../protocol/index.js';
import { probeRejection } from './rejection-probe.js';
import type { StartOrder } from './start-watch.js';

/** A request of this row may still be in flight on the server: leave it to recovery on the next run. */
export class RowAbandoned extends Error {
  override name = 'RowAbandoned';
}

export interface AttemptRequest {
  client: DifyClient;
  mode: 'streaming' | 'blocking';
  user: string;
  inputs: WorkflowInputs;
  workflowId: string | undefined;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  /** Aborts at the first Ctrl-C: a streaming run is stopped through the stop API. */
  stop: AbortSignal;
  /** Aborts when everything must end now (a blocking request is let go, a stream dropped). */
  abandon: AbortSignal;
  startOrder: StartOrder | undefined;
  /** Awaited the moment the run id and task id are known (streaming). */
  onStarted(runId: string, taskId: string): Promise<void>;
  /** Called before difyrun asks the server to stop the run. */
  onStopping(): void;
}

export interface AttemptResult {
  result: WorkflowRunResult;
  /** Streaming: POST to the run's first event (time spent in Dify's queue, plus the network). */
  startDelayMs: number | undefined;
  /** Price summed from node events (streaming), when the server reports it per node. */
  price: { amount: number; currency: string | null };
}

export interface AttemptIds {
  runId: string | null;
  taskId: string | null;
}

export async function attempt(request: AttemptRequest, ids: AttemptIds): Promise<AttemptResult> {
  return request.mode === 'blocking' ? attemptBlocking(request) : attemptStreaming(request, ids);
}

async function attemptBlocking(request: AttemptRequest): Promise<AttemptResult> {
  const params = { inputs: request.inputs, user: request.user, workflowId: request.workflowId };
  // A blocking run cannot be stopped (its task id comes with the result) and goes on if we
  // hang up, so a first Ctrl-C lets it finish and records it; only `abandon` lets go of it.
  try {
    const result = await request.client.workflows.run(params, { signal: request.abandon, timeout: request.timeoutMs, maxRetries: 0 });
    return { result, startDelayMs: undefined, price: { amount: 0, currency: null } };
  } catch (error) {
    if (request.abandon.aborted) throw new RowAbandoned('quit while a blocking run was in flight');
    throw error;
  }
}

async function attemptStreaming(request: AttemptRequest, ids: AttemptIds): Promise<AttemptResult> {
  const params = { inputs: request.inputs, user: request.user, workflowId: request.workflowId };
  const postedAt = Date.now();
  const stream = request.client.workflows.stream(params, {
    timeout: request.timeoutMs,
    maxRetries: 0,
    streamIdleTimeout: request.streamIdleTimeoutMs,
    signal: request.abandon,
  });
  // Set when the watch ends a stream whose run never started: Dify's rejection, or the timeout.
  let gaveUp: Error | undefined;
  const probe = { client: request.client, ask: (variables: readonly InputVariable[]) => probeRejection(request.client, params, variables, request.abandon) };
  const ticket = request.startOrder?.posted(
    request.timeoutMs,
    (error) => {
      gaveUp = error;
      stream.abort();
    },
    probe,
  );
  let stopping = false;
  const stopOnInterrupt = () => {
    if (stream.taskId === undefined || stopping) return; // not started yet: the store's entry is recovered on resume
    stopping = true;
    request.onStopping();
    void stopStream(stream);
  };
  request.stop.addEventListener('abort', stopOnInterrupt, { once: true });
  const price = { amount: 0, currency: null as string | null };
  let startDelayMs: number | undefined;
  try {
    for await (const event of stream) {
      if (startDelayMs === undefined && stream.workflowRunId !== undefined && stream.taskId !== undefined) {
        startDelayMs = Date.now() - postedAt;
        ticket?.started();
        ids.runId = stream.workflowRunId;
        ids.taskId = stream.taskId;
        await request.onStarted(stream.workflowRunId, stream.taskId);
        if (request.stop.aborted) stopOnInterrupt();
      }
      if (event.event === 'node_finished') {
        const meta = event.data.execution_metadata;
        const amount = Number(meta?.total_price ?? 0);
        if (Number.isFinite(amount)) price.amount += amount;
        if (meta?.currency) price.currency = meta.currency;
      }
    }
    return { result: await stream.finalResult(), startDelayMs, price };
  } catch (error) {
    if (gaveUp) throw gaveUp;
    throw error;
  } finally {
    ticket?.end();
    request.stop.removeEventListener('abort', stopOnInterrupt);
  }
}

/** Ctrl-C: ask the server to stop the run; if it does not end within 10 s, drop the connection. */
async function stopStream(stream: WorkflowStream): Promise<void> {
  const giveUp = setTimeout(() => stream.abort(), 10_000);
  giveUp.unref();
  try {
    await stream.stop();
  } catch {
    stream.abort();
  }
}
