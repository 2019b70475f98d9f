/**
 * HTTP request: a real request with fetch. As the real Dify 1.13.2 (checked against it on
 * loopback): `{{#node.var#}}` references render in the URL, headers, params and body; params
 * are form-encoded; a JSON body is sent compacted; any status succeeds (a non-2xx fails the
 * node only when it has an error strategy or retries, so those can act on it); outputs are
 * status_code, body, headers (lower-case names) and files; process_data.request is the raw
 * request as written.
 */
import { isObject, listOf, text } from '../../dsl/parse-helpers.js';
import type { NodeBase } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import type { VariablePool } from '../variable-pool.js';
import { defineNode } from './kind.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'];
const BODY_TYPES = ['none', 'json', 'raw-text', 'x-www-form-urlencoded', 'form-data'];
/** Dify's HTTP_REQUEST_MAX_CONNECT_TIMEOUT / MAX_READ_TIMEOUT defaults, in seconds. */
const DEFAULT_CONNECT_S = 10;
const DEFAULT_READ_S = 60;

export interface HttpRequestNode extends NodeBase {
  type: 'http-request';
  method: string;
  url: string;
  authorization: { type: 'no-auth' | 'api-key'; kind: 'basic' | 'bearer' | 'custom'; apiKey: string; header: string };
  headers: string;
  params: string;
  body: { type: string; fields: { key: string; value: string }[]; raw: string };
  timeoutSeconds: number;
}

export const httpRequestNode = defineNode<HttpRequestNode>({
  types: ['http-request'],
  parse: (data, fail) => {
    const method = text(data['method'], 'get').toLowerCase();
    if (!METHODS.includes(method)) fail(`http-request method "${method}" is not one of ${METHODS.join(', ')}`);
    const url = typeof data['url'] === 'string' && data['url'] !== '' ? data['url'] : fail('http-request has no url');
    const auth = isObject(data['authorization']) ? data['authorization'] : {};
    const config = isObject(auth['config']) ? auth['config'] : {};
    const body = isObject(data['body']) ? data['body'] : {};
    const bodyType = text(body['type'], 'none');
    if (!BODY_TYPES.includes(bodyType)) fail(`http-request body type "${bodyType}" is not supported locally (${BODY_TYPES.join(', ')} are)`);
    // DSL 0.6 keeps the body as a list of {key, type, value}; older exports keep raw bodies as a string.
    const fields = Array.isArray(body['data']) ? listOf(body['data']) : [];
    if (fields.some((f) => f['type'] === 'file')) fail('http-request file fields in the body are not supported locally');
    const timeout = isObject(data['timeout']) ? data['timeout'] : {};
    return {
      method,
      url,
      authorization: {
        type: auth['type'] === 'api-key' ? 'api-key' : 'no-auth',
        kind: config['type'] === 'basic' || config['type'] === 'custom' ? config['type'] : 'bearer',
        apiKey: text(config['api_key']),
        header: text(config['header'], 'Authorization'),
      },
      headers: text(data['headers']),
      params: text(data['params']),
      body: {
        type: bodyType,
        fields: fields.map((f) => ({ key: text(f['key']), value: text(f['value']) })),
        raw: typeof body['data'] === 'string' ? body['data'] : text(fields[0]?.['value']),
      },
      timeoutSeconds: (Number(timeout['max_connect_timeout']) || DEFAULT_CONNECT_S) + (Number(timeout['max_read_timeout']) || DEFAULT_READ_S),
    };
  },
  selectors: () => [],
  run: (node, ctx) => send(node, ctx),
});

async function send(node: HttpRequestNode, ctx: NodeContext): Promise<NodeResult> {
  const render = (value: string) => ctx.pool.renderReferences(value);
  const url = new URL(render(node.url));
  for (const [key, value] of pairs(node.params, ctx.pool)) url.searchParams.append(key, value);
  const headers = new Headers(pairs(node.headers, ctx.pool));
  const auth = node.authorization;
  if (auth.type === 'api-key')
    headers.set(
      auth.kind === 'custom' ? auth.header : 'Authorization',
      auth.kind === 'custom' ? auth.apiKey : `${auth.kind === 'basic' ? 'Basic' : 'Bearer'} ${auth.apiKey}`,
    );
  const body = node.method === 'get' || node.method === 'head' ? undefined : requestBody(node, ctx.pool, headers);
  const request = rawRequest(node.method, url, headers, body?.shown);

  // A timer of our own, not AbortSignal.timeout: Node 20's AbortSignal.any holds its sources
  // weakly, so a timeout signal passed only to it is garbage-collected and never fires.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('timed out', 'TimeoutError')), node.timeoutSeconds * 1000);
  const signal = AbortSignal.any([ctx.signal, deadline.signal]);
  let response: Response;
  let responseBody: string;
  try {
    response = await fetch(url, { method: node.method.toUpperCase(), headers, body: body?.sent ?? null, signal, redirect: 'follow' });
    responseBody = await response.text();
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError'
        ? `timed out after ${node.timeoutSeconds}s`
        : String((error as { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new NodeError(`HTTP request to ${url.origin}${url.pathname} failed: ${cause}`, 'HttpRequestNodeError', { inputs: {} });
  } finally {
    clearTimeout(timer);
  }
  const outputs = { status_code: response.status, body: responseBody, headers: Object.fromEntries(response.headers), files: [] };
  if (!response.ok && ((node.error_strategy && node.error_strategy !== 'none') || node.retry_config?.retry_enabled)) {
    // The real server reports this failure as "Unknown error"; the status is in error_message.
    throw new NodeError(`Request failed with status code ${response.status}`, 'HTTPResponseCodeError', { inputs: {}, outputs, reportedError: 'Unknown error' });
  }
  return { inputs: {}, outputs, processData: { request } };
}

/** "key:value" lines (headers, params), references rendered; the value may be empty. */
function pairs(lines: string, pool: VariablePool): [string, string][] {
  return lines.split('\n').flatMap((line): [string, string][] => {
    const at = line.indexOf(':');
    const key = pool.renderReferences(at < 0 ? line : line.slice(0, at)).trim();
    return key ? [[key, pool.renderReferences(at < 0 ? '' : line.slice(at + 1)).trim()]] : [];
  });
}

/** The body as sent and as shown in process_data (a JSON body is shown as written, sent compacted). */
function requestBody(node: HttpRequestNode, pool: VariablePool, headers: Headers): { sent: string | FormData; shown: string } | undefined {
  const setType = (type: string) => !headers.has('content-type') && headers.set('content-type', type);
  switch (node.body.type) {
    case 'json': {
      const shown = pool.renderReferences(node.body.raw);
      setType('application/json');
      let sent = shown;
      try {
        sent = JSON.stringify(JSON.parse(shown));
      } catch {
        // Not valid JSON after rendering: sent as written, as a raw body would be.
      }
      return { sent, shown };
    }
    case 'raw-text': {
      const shown = pool.renderReferences(node.body.raw);
      setType('text/plain');
      return { sent: shown, shown };
    }
    case 'x-www-form-urlencoded': {
      const form = new URLSearchParams(node.body.fields.filter((f) => f.key).map((f) => [pool.renderReferences(f.key), pool.renderReferences(f.value)]));
      setType('application/x-www-form-urlencoded');
      return { sent: form.toString(), shown: form.toString() };
    }
    case 'form-data': {
      const form = new FormData();
      for (const f of node.body.fields.filter((field) => field.key)) form.append(pool.renderReferences(f.key), pool.renderReferences(f.value));
      // fetch sets the multipart content type with its boundary.
      headers.delete('content-type');
      return { sent: form, shown: [...form.entries()].map(([key, value]) => `${key}=${String(value)}`).join('\n') };
    }
    default:
      return undefined;
  }
}

function rawRequest(method: string, url: URL, headers: Headers, body: string | undefined): string {
  const lines = [`${method.toUpperCase()} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}
