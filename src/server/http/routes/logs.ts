/** GET /workflows/logs: newest first, every filter and the pagination of research §1.5. */
import { logEntry } from '../../wire.js';
import { ApiError, invalidParam, pydanticError } from '../api-error.js';
import { sendJson, type RequestContext } from '../context.js';

export function listLogs(ctx: RequestContext): void {
  const q = ctx.url.searchParams;
  const status = q.get('status') ?? undefined;
  if (status !== undefined && !['succeeded', 'failed', 'stopped'].includes(status)) {
    throw pydanticError(
      'WorkflowLogQuery',
      'status',
      `Input should be 'succeeded', 'failed' or 'stopped' [type=literal_error, input_value='${status}', input_type=str]`,
    );
  }
  const page = intParam(q.get('page'), 'page', 1, 1, 99999);
  const limit = intParam(q.get('limit'), 'limit', 20, 1, 100);
  const account = q.get('created_by_account');
  if (account) throw invalidParam(`Account not found: ${account}`);
  const { total, runs } = ctx.parts.store.listRuns({
    keyword: q.get('keyword') ?? undefined,
    status,
    before: dateParam(q.get('created_at__before')),
    after: dateParam(q.get('created_at__after')),
    user: q.get('created_by_end_user_session_id') ?? undefined,
    page,
    limit,
  });
  sendJson(ctx.res, 200, { page, limit, total, has_more: total > page * limit, data: runs.map((run) => logEntry(run, ctx.parts.app.version)) });
}

function intParam(raw: string | null, name: string, fallback: number, min: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw pydanticError(
      'WorkflowLogQuery',
      name,
      `Input should be a valid integer, unable to parse string as an integer [type=int_parsing, input_value='${raw}', input_type=str]`,
    );
  }
  const value = Number.parseInt(raw, 10);
  if (value < min)
    throw pydanticError(
      'WorkflowLogQuery',
      name,
      `Input should be greater than or equal to ${min} [type=greater_than_equal, input_value='${raw}', input_type=str]`,
    );
  if (value > max)
    throw pydanticError('WorkflowLogQuery', name, `Input should be less than or equal to ${max} [type=less_than_equal, input_value='${raw}', input_type=str]`);
  return value;
}

/** ISO 8601 (dateutil.isoparse-like) → epoch ms. */
function dateParam(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^\d{4}-?\d{2}-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/.test(raw)) {
    throw new ApiError(400, 'invalid_param', `ISO string too short`);
  }
  const ms = Date.parse(raw.includes('T') || raw.length <= 10 ? raw : raw.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new ApiError(400, 'invalid_param', `Invalid isoformat string: '${raw}'`);
  return ms;
}
