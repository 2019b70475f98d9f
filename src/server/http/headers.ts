/**
 * The headers Dify 1.13.2 puts on Service API responses, measured on the real server:
 * `X-Version`, `X-Env` and `Vary: Cookie` everywhere; flask-cors on every route of the API
 * (the Origin echoed back, or `*` without one, plus the exposed headers); OPTIONS preflights
 * answered 200 with an empty text/html body. Unknown paths and 405s get no CORS headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Dify version whose behaviour the server reproduces. */
export const DIFY_VERSION = '1.13.2';
/** Request headers a browser may send cross-origin (Dify's SERVICE_API_HEADERS). */
const ALLOWED_REQUEST_HEADERS = new Set(['content-type', 'x-app-code', 'x-app-passport', 'authorization']);
const ALLOWED_METHODS = 'DELETE, GET, OPTIONS, PATCH, POST, PUT';
const EXPOSED_HEADERS = 'X-Env, X-Trace-Id, X-Version';

/** Headers on every response, found or not. */
export function setBaseHeaders(res: ServerResponse): void {
  res.setHeader('X-Version', DIFY_VERSION);
  res.setHeader('X-Env', 'PRODUCTION');
  res.setHeader('Vary', 'Cookie');
}

/** flask-cors on a response of an API route. */
export function setCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  res.setHeader('Access-Control-Allow-Origin', origin ?? '*');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  if (origin) res.setHeader('Vary', 'Origin, Cookie');
}

/** OPTIONS on an API route: 200, what the route allows, and for a preflight what CORS allows. */
export function answerOptions(req: IncomingMessage, res: ServerResponse, method: 'GET' | 'POST'): void {
  setCorsHeaders(req, res);
  res.setHeader('Allow', method === 'GET' ? 'HEAD, OPTIONS, GET' : 'OPTIONS, POST');
  if (req.headers.origin && req.headers['access-control-request-method']) {
    const requested = (req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => ALLOWED_REQUEST_HEADERS.has(h.toLowerCase()));
    if (requested.length > 0) res.setHeader('Access-Control-Allow-Headers', requested.join(', '));
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': 0 });
  res.end();
}

/** Flask's own 404 page, which Dify sends for a path it has no route for. */
export const NOT_FOUND_PAGE =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';

export function sendNotFoundPage(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(NOT_FOUND_PAGE) });
  res.end(NOT_FOUND_PAGE);
}
