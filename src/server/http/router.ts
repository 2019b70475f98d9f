/**
 * Routing and the checks every endpoint runs, in Dify's order (research §1.0): the
 * Authorization header, the token, then the JSON body and `user` where the endpoint reads
 * them, then the handler. Every failure becomes Dify's `{code, message, status}` envelope,
 * except an unknown path, which gets Flask's HTML 404 page as on Dify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, internalError, invalidParam, notFound, unauthorized } from './api-error.js';
import { sendJson, type RequestContext, type ServerParts } from './context.js';
import { answerOptions, sendNotFoundPage, setBaseHeaders, setCorsHeaders } from './headers.js';
import { appInfo, appMeta, appParameters, appSite } from './routes/app-info.js';
import { previewFile, uploadFile } from './routes/files.js';
import { listLogs } from './routes/logs.js';
import { runDetail, runWorkflow, stopTask } from './routes/runs.js';
import { runEvents } from './routes/streams.js';

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
    const arrivedAt = Date.now();
    setBaseHeaders(res);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const match = matchRoute(method, url.pathname);
      if (match === 'unknown-path') {
        req.resume();
        if (parts.flaws) return sendNotFoundPage(res);
        throw notFound();
      }
      if (match.route.method !== method) {
        req.resume();
        if (method === 'OPTIONS') return answerOptions(req, res, match.route.method);
        // Raised before Dify's API blueprint (and so its CORS) sees the request.
        throw new ApiError(405, 'method_not_allowed', 'The method is not allowed for the requested URL.');
      }
      setCorsHeaders(req, res);
      const { route, params } = match;
      authenticate(req, apiKey);
      const body = route.json ? await readJsonBody(req, parts.flaws) : {};
      const user = readUser(route, body, url);
      await route.handler({ req, res, url, params, body, user, parts, arrivedAt });
    } catch (error) {
      sendError(res, error);
    }
  };
}

/** The route for a path and method; a path with routes for other methods only gives one of those. */
function matchRoute(method: string, path: string): { route: Route; params: string[] } | 'unknown-path' {
  let other: { route: Route; params: string[] } | undefined;
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const found = { route, params: match.slice(1).map(decodeURIComponent) };
    if (route.method === method) return found;
    other ??= found;
  }
  return other ?? 'unknown-path';
}

function authenticate(req: IncomingMessage, apiKey: string): void {
  const header = req.headers['authorization'];
  if (!header || !header.includes(' ')) throw unauthorized("Authorization header must be provided and start with 'Bearer'");
  const [scheme, token] = header.trim().split(/\s+/, 2);
  if (scheme!.toLowerCase() !== 'bearer') throw unauthorized("Authorization scheme must be 'Bearer'");
  if (token !== apiKey) throw unauthorized('Access token is invalid');
}

async function readJsonBody(req: IncomingMessage, flaws: boolean): Promise<Record<string, unknown>> {
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest(); // empty or malformed: Werkzeug's generic 400, as Dify sends it
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    // Dify calls .get() on the body: an array, a string or null blows up as a 500.
    if (flaws) throw internalError();
    throw new ApiError(400, 'bad_request', 'The request body must be a JSON object.');
  }
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
