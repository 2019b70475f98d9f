/**
 * Routing and the checks every endpoint runs, in Dify's order (research §1.0): the
 * Authorization header, the token, then the JSON body and `user` where the endpoint reads
 * them, then the handler. Every failure becomes Dify's `{code, message, status}` envelope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, internalError, invalidParam, notFound, unauthorized } from './api-error.js';
import { sendJson, type RequestContext, type ServerParts } from './context.js';
import { appInfo, appMeta, appParameters, appSite } from './routes/app-info.js';
import { previewFile, uploadFile } from './routes/files.js';
import { listLogs } from './routes/logs.js';
import { runDetail, runEvents, runWorkflow, stopTask } from './routes/runs.js';

type Handler = (ctx: RequestContext) => void | Promise<void>;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
  /** Where `user` comes from and whether it is required. */
  user: 'json-required' | 'query-optional' | 'none';
  json: boolean;
}

const ID = '([^/]+)';
const ROUTES: Route[] = [
  { method: 'POST', pattern: /^\/v1\/workflows\/run$/, handler: runWorkflow, user: 'json-required', json: true },
  { method: 'GET', pattern: new RegExp(`^/v1/workflows/run/${ID}$`), handler: runDetail, user: 'none', json: false },
  { method: 'POST', pattern: new RegExp(`^/v1/workflows/${ID}/run$`), handler: runWorkflow, user: 'json-required', json: true },
  { method: 'POST', pattern: new RegExp(`^/v1/workflows/tasks/${ID}/stop$`), handler: stopTask, user: 'json-required', json: true },
  { method: 'GET', pattern: /^\/v1\/workflows\/logs$/, handler: listLogs, user: 'none', json: false },
  { method: 'GET', pattern: new RegExp(`^/v1/workflow/${ID}/events$`), handler: runEvents, user: 'query-optional', json: false },
  { method: 'POST', pattern: /^\/v1\/files\/upload$/, handler: uploadFile, user: 'none', json: false },
  { method: 'GET', pattern: new RegExp(`^/v1/files/${ID}/preview$`), handler: previewFile, user: 'query-optional', json: false },
  { method: 'GET', pattern: /^\/v1\/info$/, handler: appInfo, user: 'query-optional', json: false },
  { method: 'GET', pattern: /^\/v1\/parameters$/, handler: appParameters, user: 'query-optional', json: false },
  { method: 'GET', pattern: /^\/v1\/meta$/, handler: appMeta, user: 'query-optional', json: false },
  { method: 'GET', pattern: /^\/v1\/site$/, handler: appSite, user: 'query-optional', json: false },
];

const MAX_JSON_BYTES = 10 * 1024 * 1024;

export function createRequestHandler(parts: ServerParts, apiKey: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const { route, params } = matchRoute(req.method ?? 'GET', url.pathname);
      authenticate(req, apiKey);
      const body = route.json ? await readJsonBody(req) : {};
      const user = readUser(route, body, url);
      await route.handler({ req, res, url, params, body, user, parts });
    } catch (error) {
      sendError(res, error);
    }
  };
}

function matchRoute(method: string, path: string): { route: Route; params: string[] } {
  let pathMatched = false;
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: match.slice(1).map(decodeURIComponent) };
  }
  if (pathMatched) throw new ApiError(405, 'method_not_allowed', 'The method is not allowed for the requested URL.');
  throw notFound();
}

function authenticate(req: IncomingMessage, apiKey: string): void {
  const header = req.headers['authorization'];
  if (!header || !header.includes(' ')) throw unauthorized("Authorization header must be provided and start with 'Bearer'");
  const [scheme, token] = header.trim().split(/\s+/, 2);
  if (scheme!.toLowerCase() !== 'bearer') throw unauthorized("Authorization scheme must be 'Bearer'");
  if (token !== apiKey) throw unauthorized('Access token is invalid');
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    req.resume();
    throw new ApiError(415, 'unsupported_media_type', "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new ApiError(413, 'request_entity_too_large', 'The data value transmitted exceeds the capacity limit.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'bad_request', 'Invalid JSON payload received or JSON payload is empty.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'bad_request', `Failed to decode JSON object: ${(error as Error).message}`);
  }
  // Dify calls .get() on the body: an array or a string blows up as a 500.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw internalError();
  return parsed as Record<string, unknown>;
}

/** Python-falsy values (missing, "", null, 0, false) count as not provided. */
function readUser(route: Route, body: Record<string, unknown>, url: URL): string | undefined {
  if (route.user === 'none') return undefined;
  const raw = route.user === 'json-required' ? body['user'] : url.searchParams.get('user');
  const provided = raw !== undefined && raw !== null && raw !== '' && raw !== 0 && raw !== false;
  if (!provided) {
    if (route.user === 'json-required') throw invalidParam('Arg user must be provided.');
    return 'DEFAULT-USER';
  }
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

function sendError(res: ServerResponse, error: unknown): void {
  const apiError = error instanceof ApiError ? error : internalError();
  if (!(error instanceof ApiError)) console.error('[difyrun serve] internal error:', error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.status, apiError.body(), apiError.headers);
}
