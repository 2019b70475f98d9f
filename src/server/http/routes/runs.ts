/** POST /workflows/run, POST /workflows/{id}/run, GET /workflows/run/{id}, POST /workflows/tasks/{id}/stop, GET /workflow/{id}/events. */
import type { WorkflowFinishedData } from '../../../protocol/index.js';
import { validateInputs } from '../../../inputs/validate.js';
import type { EngineEvent } from '../../engine/run-graph.js';
import { gatewayPage, type RunFault } from '../../faults.js';
import type { ActiveRun } from '../../run-manager.js';
import type { RunRecord } from '../../store/types.js';
import { ApiError, internalError, invalidParam, pydanticError } from '../api-error.js';
import { sendJson, type RequestContext } from '../context.js';
import { pythonJsonDumps, pythonRepr, pythonTypeName } from '../../python-style.js';
import { SseWriter } from '../sse.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A silent (stalled) stream is cut after this long so sockets are not held forever. */
const MAX_STALL_MS = 10 * 60 * 1000;

export async function runWorkflow(ctx: RequestContext): Promise<void> {
  const { parts, body } = ctx;
  const pinned = ctx.params[0];
  if (pinned !== undefined) {
    if (!UUID.test(pinned)) throw new ApiError(400, 'bad_request', `Invalid workflow_id format: '${pinned}'. `);
    if (pinned !== parts.app.workflowId) throw new ApiError(404, 'not_found', `Workflow not found with id: ${pinned}`);
  }
  const inputs = body['inputs'];
  if (inputs === undefined) throw pydanticError('WorkflowRunPayload', 'inputs', `Field required [type=missing, input_value=${pythonRepr(body)}, input_type=dict]`);
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw pydanticError('WorkflowRunPayload', 'inputs', `Input should be a valid dictionary [type=dict_type, input_value=${pythonRepr(inputs)}, input_type=${pythonTypeName(inputs)}]`);
  }
  const mode = body['response_mode'] ?? 'blocking';
  if (mode !== 'blocking' && mode !== 'streaming') {
    throw pydanticError('WorkflowRunPayload', 'response_mode', `Input should be 'blocking' or 'streaming' [type=literal_error, input_value=${pythonRepr(mode)}, input_type=${pythonTypeName(mode)}]`);
  }
  const files = Array.isArray(body['files']) ? body['files'] : [];
  const streaming = mode === 'streaming';

  // Gates that turn a run away before it executes, in Dify's order: quota, then concurrency.
  const spec = parts.faults.spec;
  if (spec.quotaRuns !== undefined && parts.runs.executedRuns >= spec.quotaRuns) {
    throw new ApiError(429, 'rate_limit_error', `Workflow execution quota limit reached for tenant ${parts.tenantId}`);
  }
  if (spec.maxActiveRequests !== undefined && parts.runs.activeCount >= spec.maxActiveRequests) throw tooManyRequests(ctx, spec.maxActiveRequests);
  if (parts.faults.isUnpublished(parts.runs.executedRuns)) throw invalidParam('Workflow not published');
  const fault: RunFault = parts.faults.active ? parts.faults.decide(streaming) : { kind: 'none' };
  if (fault.kind === 'reject') throw fault.status === 429 ? tooManyRequests(ctx, spec.maxActiveRequests ?? 10) : internalError();

  const validation = validateInputs(parts.app.start.variables, inputs as Record<string, unknown>);
  if (!validation.ok) {
    if (!streaming) throw invalidParam(validation.message);
    const writer = new SseWriter(ctx.res, parts.pingIntervalMs);
    writer.send({ event: 'error', workflow_run_id: null, code: 'invalid_param', message: validation.message, status: 400 });
    writer.end();
    return;
  }

  const run = parts.runs.start({ user: ctx.user!, inputs: validation.values, files, latencyMs: parts.faults.latencyMs() });
  if (fault.kind === 'gateway') return sendGatewayPage(ctx, fault.status);
  if (fault.kind === 'reset') {
    ctx.res.socket?.destroy();
    return;
  }
  if (streaming) return streamRun(ctx, run, fault);
  await blockingRun(ctx, run, spec.blockingTimeoutSeconds);
}

async function blockingRun(ctx: RequestContext, run: ActiveRun, cutOffSeconds: number | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cutOff = cutOffSeconds === undefined ? undefined : new Promise<'cut'>((resolve) => (timer = setTimeout(() => resolve('cut'), cutOffSeconds * 1000)));
  const outcome = await (cutOff ? Promise.race([run.done, cutOff]) : run.done);
  clearTimeout(timer);
  if (outcome === 'cut') return sendGatewayPage(ctx, 504);
  sendJson(ctx.res, 200, blockingBody(run.taskId, outcome));
}

function blockingBody(taskId: string, finished: WorkflowFinishedData): object {
  return {
    task_id: taskId,
    workflow_run_id: finished.id,
    data: {
      id: finished.id, workflow_id: finished.workflow_id, status: finished.status, outputs: finished.outputs, error: finished.error,
      elapsed_time: finished.elapsed_time, total_tokens: finished.total_tokens, total_steps: finished.total_steps,
      created_at: finished.created_at, finished_at: finished.finished_at,
    },
  };
}

function streamRun(ctx: RequestContext, run: ActiveRun, fault: RunFault): void {
  const writer = new SseWriter(ctx.res, ctx.parts.pingIntervalMs);
  let sent = 0;
  const onEvent = (event: EngineEvent) => {
    if (writer.closed) return void run.subscribers.delete(onEvent);
    if (fault.kind === 'drop' && sent >= fault.afterEvents) {
      run.subscribers.delete(onEvent);
      return writer.destroy(); // the run goes on server-side
    }
    writer.send(event);
    sent++;
    if (fault.kind === 'stall' && sent === 1) {
      writer.silent = true;
      setTimeout(() => writer.destroy(), MAX_STALL_MS).unref();
    }
    if (isTerminal(event) && !writer.silent) {
      run.subscribers.delete(onEvent);
      writer.end();
    }
  };
  attach(run, onEvent);
  ctx.res.on('close', () => run.subscribers.delete(onEvent));
}

/** Replays what the run emitted so far, then follows it live. */
function attach(run: ActiveRun, onEvent: (event: EngineEvent) => void): void {
  const replay = [...run.events];
  run.subscribers.add(onEvent);
  for (const event of replay) onEvent(event);
}

function isTerminal(event: EngineEvent): boolean {
  return event.event === 'workflow_finished' || event.event === 'workflow_paused';
}

export function stopTask(ctx: RequestContext): void {
  ctx.parts.runs.stop(ctx.params[0]!);
  sendJson(ctx.res, 200, { result: 'success' });
}

export function runDetail(ctx: RequestContext): void {
  const record = ctx.parts.store.getRun(ctx.params[0]!);
  if (!record) throw new ApiError(404, 'not_found', 'Workflow run not found.');
  sendJson(ctx.res, 200, {
    id: record.id,
    workflow_id: record.workflowId,
    status: record.status,
    inputs: pythonJsonDumps(record.inputs),
    outputs: record.status === 'paused' ? {} : (record.outputs ?? {}),
    error: record.error,
    total_steps: record.totalSteps,
    total_tokens: record.totalTokens,
    created_at: record.createdAt,
    finished_at: record.finishedAt,
    elapsed_time: record.status === 'running' ? 0 : record.elapsedTime,
  });
}

/** GET /workflow/{id}/events: a running run is replayed and followed; a finished one sends its final event. */
export function runEvents(ctx: RequestContext): void {
  const runId = ctx.params[0]!;
  const active = ctx.parts.runs.get(runId);
  if (active) {
    const writer = new SseWriter(ctx.res, ctx.parts.pingIntervalMs);
    const onEvent = (event: EngineEvent) => {
      writer.send(event);
      if (isTerminal(event)) {
        active.subscribers.delete(onEvent);
        writer.end();
      }
    };
    attach(active, onEvent);
    ctx.res.on('close', () => active.subscribers.delete(onEvent));
    return;
  }
  const record = ctx.parts.store.getRun(runId);
  if (!record) throw new ApiError(404, 'not_found', 'Workflow run not found.');
  const writer = new SseWriter(ctx.res, 0);
  writer.send(finishedEventFrom(record));
  writer.end();
}

function finishedEventFrom(record: RunRecord): EngineEvent {
  return {
    event: 'workflow_finished',
    workflow_run_id: record.id,
    task_id: record.taskId,
    data: {
      id: record.id, workflow_id: record.workflowId, status: record.status, outputs: record.outputs ?? {}, error: record.error,
      elapsed_time: record.elapsedTime, total_tokens: record.totalTokens, total_steps: record.totalSteps,
      created_by: { id: record.endUserId, user: record.user }, created_at: record.createdAt, finished_at: record.finishedAt,
      exceptions_count: record.exceptionsCount, files: [],
    },
  };
}

function tooManyRequests(ctx: RequestContext, limit: number): ApiError {
  return new ApiError(429, 'too_many_requests', `Too many requests. Please try again later. The current maximum concurrent requests allowed for ${ctx.parts.appId} is ${limit}.`);
}

function sendGatewayPage(ctx: RequestContext, status: 502 | 504): void {
  const page = gatewayPage(status);
  ctx.res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
  ctx.res.end(page);
}
