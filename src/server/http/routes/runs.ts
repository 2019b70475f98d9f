/** POST /workflows/run, POST /workflows/{id}/run, GET /workflows/run/{id}, POST /workflows/tasks/{id}/stop. */
import type { WorkflowFinishedData } from '../../../protocol/index.js';
import { validateInputs } from '../../../inputs/validate.js';
import { gatewayPage } from '../../faults.js';
import { resolveFileInputs } from '../../file-inputs.js';
import { pythonJsonDumps, pythonRepr, pythonTypeName } from '../../python-style.js';
import type { ActiveRun } from '../../run-manager.js';
import { blockingResponse, runDetail as runDetailBody } from '../../wire.js';
import { ApiError, internalError, invalidParam, pydanticError } from '../api-error.js';
import { sendJson, type RequestContext } from '../context.js';
import { rejectStream, streamRun } from './streams.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function runWorkflow(ctx: RequestContext): Promise<void> {
  const { parts } = ctx;
  const { inputs, streaming, files } = readPayload(ctx);

  // Gates that turn a run away before it executes, in Dify's order: quota, then concurrency.
  const spec = parts.faults.spec;
  if (spec.quotaRuns !== undefined && parts.runs.executedRuns >= spec.quotaRuns) {
    throw new ApiError(429, 'rate_limit_error', `Workflow execution quota limit reached for tenant ${parts.tenantId}`);
  }
  if (spec.maxActiveRequests !== undefined && parts.runs.activeCount >= spec.maxActiveRequests) {
    throw invalidParam(tooManyRequestsMessage(ctx, spec.maxActiveRequests)); // Dify's APP_MAX_ACTIVE_REQUESTS answers 400, not 429
  }
  if (parts.faults.isUnpublished(parts.runs.executedRuns)) throw invalidParam('Workflow not published');
  const fault = parts.faults.active ? parts.faults.decide(streaming) : ({ kind: 'none' } as const);
  if (fault.kind === 'reject')
    throw fault.status === 429 ? new ApiError(429, 'too_many_requests', tooManyRequestsMessage(ctx, spec.maxActiveRequests ?? 10)) : internalError();

  const checked = checkInputs(ctx, inputs);
  if (!checked.ok) {
    if (!streaming) throw invalidParam(checked.message);
    return rejectStream(ctx, checked.message); // Dify: the worker raises it, the stream never hears
  }

  const run = parts.runs.start({ user: ctx.user!, inputs: checked.values, files, startAt: ctx.arrivedAt + parts.faults.latencyMs() });
  if (fault.kind === 'gateway') return sendGatewayPage(ctx, fault.status);
  if (fault.kind === 'reset') {
    ctx.res.socket?.destroy();
    return;
  }
  if (streaming) return streamRun(ctx, run, fault);
  await blockingRun(ctx, run, spec.blockingTimeoutSeconds);
}

/** The body's own checks, with pydantic's messages. */
function readPayload(ctx: RequestContext): { inputs: Record<string, unknown>; streaming: boolean; files: unknown[] } {
  const { parts, body } = ctx;
  const pinned = ctx.params[0];
  if (pinned !== undefined) {
    if (!UUID.test(pinned)) throw new ApiError(400, 'bad_request', `Invalid workflow_id format: '${pinned}'. `);
    if (pinned !== parts.app.workflowId) throw new ApiError(404, 'not_found', `Workflow not found with id: ${pinned}`);
  }
  const inputs = body['inputs'];
  if (inputs === undefined)
    throw pydanticError('WorkflowRunPayload', 'inputs', `Field required [type=missing, input_value=${pythonRepr(body)}, input_type=dict]`);
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw pydanticError(
      'WorkflowRunPayload',
      'inputs',
      `Input should be a valid dictionary [type=dict_type, input_value=${pythonRepr(inputs)}, input_type=${pythonTypeName(inputs)}]`,
    );
  }
  const mode = body['response_mode'] ?? 'blocking';
  if (mode !== 'blocking' && mode !== 'streaming') {
    throw pydanticError(
      'WorkflowRunPayload',
      'response_mode',
      `Input should be 'blocking' or 'streaming' [type=literal_error, input_value=${pythonRepr(mode)}, input_type=${pythonTypeName(mode)}]`,
    );
  }
  return { inputs: inputs as Record<string, unknown>, streaming: mode === 'streaming', files: Array.isArray(body['files']) ? body['files'] : [] };
}

/** The input form, then the file inputs (the upload must exist, its type must match). */
function checkInputs(ctx: RequestContext, inputs: Record<string, unknown>): { ok: true; values: Record<string, unknown> } | { ok: false; message: string } {
  const { app, store, tenantId, baseURL } = ctx.parts;
  const validation = validateInputs(app.start.variables, inputs);
  if (!validation.ok) return validation;
  // Dify keeps every Start variable: one left out is its default, or None.
  const values: Record<string, unknown> = {};
  for (const variable of app.start.variables) values[variable.variable] = validation.values[variable.variable] ?? variable.default ?? null;
  return resolveFileInputs(app.start.variables, values, { store, tenantId, uploadURL: (id) => `${baseURL()}/files/${id}/preview` });
}

async function blockingRun(ctx: RequestContext, run: ActiveRun, cutOffSeconds: number | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cutOff = cutOffSeconds === undefined ? undefined : new Promise<'cut'>((resolve) => (timer = setTimeout(() => resolve('cut'), cutOffSeconds * 1000)));
  const outcome: WorkflowFinishedData | 'cut' = await (cutOff ? Promise.race([run.done, cutOff]) : run.done);
  clearTimeout(timer);
  if (outcome === 'cut') return sendGatewayPage(ctx, 504);
  const body = blockingResponse(run.taskId, outcome);
  // Dify writes run results with Python's json.dumps, as UTF-8.
  sendJson(ctx.res, 200, body, { 'Content-Type': 'application/json; charset=utf-8' }, pythonJsonDumps(body));
}

export function stopTask(ctx: RequestContext): void {
  ctx.parts.runs.stop(ctx.params[0]!);
  sendJson(ctx.res, 200, { result: 'success' });
}

export function runDetail(ctx: RequestContext): void {
  const id = ctx.params[0]!;
  // Dify hands the id to the database unchecked: one that is not a UUID fails as a 500.
  if (!UUID.test(id) && ctx.parts.flaws) throw internalError();
  const record = ctx.parts.store.getRun(id);
  if (!record) throw new ApiError(404, 'not_found', 'Workflow run not found.');
  sendJson(ctx.res, 200, runDetailBody(record));
}

function tooManyRequestsMessage(ctx: RequestContext, limit: number): string {
  return `Too many requests. Please try again later. The current maximum concurrent requests allowed for ${ctx.parts.appId} is ${limit}.`;
}

function sendGatewayPage(ctx: RequestContext, status: 502 | 504): void {
  const page = gatewayPage(status);
  ctx.res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
  ctx.res.end(page);
}
