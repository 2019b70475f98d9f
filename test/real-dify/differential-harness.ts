/**
 * The differential harness: one request sent to the real Dify 1.13.2 (the kit) and to
 * `difyrun serve` started in-process from the same DSL file, each answer reduced to what a
 * client can observe (status, content type, CORS headers, JSON body or SSE events) with ids,
 * times and signed URLs normalised, then compared.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { startServer, type RunningServer } from '../../src/server/index.js';

export interface Target {
  side: 'real' | 'local';
  baseURL: string;
  key: string;
}

export interface Observed {
  status: number;
  contentType: string | null;
  cors: Record<string, string | null>;
  /** Parsed JSON, the SSE frames (pings as "ping"), or the text. */
  body: unknown;
}

/** The kit directory (shared with the integration suite). */
export { findKitDir as findKit } from './integration-kit.js';

/**
 * The real server's app for a DSL file, imported (idempotent: same file name, same app and key).
 * `reuse`: a file that never changes (one of Dify's own fixtures) is not imported again once the kit has it.
 */
export function realApp(kit: string, dsl: string, reuse = false): Target {
  const root = process.env['REAL_DIFY_ROOT'] ?? '/tmp/real-dify';
  const appsFile = join(root, 'apps.json');
  const find = () => {
    if (!existsSync(appsFile)) return undefined;
    const apps = JSON.parse(readFileSync(appsFile, 'utf8')) as Record<string, { base_url: string; api_key: string; dsl: string }>;
    return Object.values(apps).find((app) => app.dsl === basename(dsl));
  };
  let app = find();
  // The kit's own apps are imported by its setup; any other DSL is imported again (2 s) so an edit reaches the kit.
  if (!app || (!reuse && dirname(resolve(dsl)) !== resolve(kit, 'dsl'))) {
    execFileSync('bash', [join(kit, 'setup.sh'), '--import', resolve(dsl)], { stdio: 'ignore', timeout: 300_000 });
    app = find();
  }
  if (!app) throw new Error(`${dsl} was not imported into the kit`);
  return { side: 'real', baseURL: app.base_url, key: app.api_key };
}

export async function localApp(dsl: string): Promise<{ target: Target; server: RunningServer }> {
  const server = await startServer({ workflow: dsl, port: 0, warmPython: true });
  return { server, target: { side: 'local', baseURL: server.baseURL, key: server.apiKey } };
}

export interface Send {
  method?: string;
  path: string;
  json?: unknown;
  raw?: string | FormData;
  headers?: Record<string, string>;
  /** No Authorization header. */
  noAuth?: boolean;
  /** Stop reading a stream after this long (for streams that stay silent). */
  readMs?: number;
}

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'allow',
  'vary',
];

export async function send(target: Target, request: Send): Promise<Observed> {
  const headers: Record<string, string> = { ...(request.noAuth ? {} : { Authorization: `Bearer ${target.key}` }), ...request.headers };
  let body: string | FormData | undefined = request.raw;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['Content-Type'] ??= 'application/json';
  }
  const controller = new AbortController();
  const init = { method: request.method ?? (body === undefined ? 'GET' : 'POST'), headers, body: body ?? null, signal: controller.signal };
  const res = await fetch(`${target.baseURL}${request.path}`, init).catch((error: unknown) => {
    // A kept-alive socket the server closed as it was reused: the request never reached it, so it is sent once more.
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(`${target.baseURL}${request.path}`, init);
  });
  const text = await readText(res, controller, request.readMs ?? 60_000);
  const contentType = res.headers.get('content-type');
  const cors = Object.fromEntries(CORS_HEADERS.map((name) => [name, methodList(name, res.headers.get(name))]));
  return { status: res.status, contentType, cors, body: parseBody(text, contentType) };
}

/**
 * Method lists compared as sets: the real server builds them from a Python set, whose order
 * changes from one start of the server to the next (hash randomisation).
 */
function methodList(name: string, value: string | null): string | null {
  if (value === null || (name !== 'allow' && name !== 'access-control-allow-methods')) return value;
  return value
    .split(',')
    .map((method) => method.trim())
    .sort()
    .join(', ');
}

async function readText(res: Response, controller: AbortController, readMs: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => controller.abort(), readMs);
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) text += decoder.decode(read.value, { stream: true });
  } catch {
    // cut after readMs: what arrived so far is the answer
  } finally {
    clearTimeout(timer);
  }
  return text;
}

function parseBody(text: string, contentType: string | null): unknown {
  if (contentType?.startsWith('text/event-stream')) {
    return text
      .split('\n\n')
      .filter((frame) => frame !== '')
      .map((frame) => (frame === 'event: ping' ? 'ping' : frame.startsWith('data: ') ? JSON.parse(frame.slice(6)) : frame));
  }
  if (contentType?.startsWith('application/json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** SSE frames without pings (their number depends on timing). */
export function events(observed: Observed): { event: string; [key: string]: unknown }[] {
  return (observed.body as unknown[]).filter((frame): frame is { event: string } => typeof frame === 'object' && frame !== null);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIME_KEYS = new Set(['created_at', 'finished_at', 'elapsed_time', 'sys.timestamp', 'version']);
const URL_KEYS = new Set(['url', 'remote_url', 'source_url']);

/** Ids, times and URLs replaced by placeholders: what stays is what must agree. */
export function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  }
  if (TIME_KEYS.has(key) && value !== null) return '<time>';
  if (URL_KEYS.has(key) && typeof value === 'string') return '<url>';
  if (typeof value === 'string' && UUID.test(value)) return '<uuid>';
  if (typeof value === 'string' && key === 'inputs' && value.startsWith('{')) return normalise(JSON.parse(value));
  return value;
}

/** Paths (a.b.c) whose values differ between the two, each with both values. */
export function differences(real: unknown, local: unknown, path = ''): string[] {
  if (Array.isArray(real) && Array.isArray(local)) {
    const out: string[] = [];
    if (real.length !== local.length) out.push(`${path || '.'}: length ${real.length} ≠ ${local.length}`);
    for (let i = 0; i < Math.min(real.length, local.length); i++) out.push(...differences(real[i], local[i], `${path}[${i}]`));
    return out;
  }
  if (isObject(real) && isObject(local)) {
    const keys = new Set([...Object.keys(real), ...Object.keys(local)]);
    return [...keys].flatMap((k) =>
      k in real && k in local
        ? differences(real[k], local[k], path ? `${path}.${k}` : k)
        : [`${path ? `${path}.` : ''}${k}: ${k in real ? 'only real' : 'only local'}`],
    );
  }
  return JSON.stringify(real) === JSON.stringify(local) ? [] : [`${path || '.'}: real ${short(real)} ≠ local ${short(local)}`];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
