/**
 * Turns a non-2xx response into an `APIError`, whatever the body: Dify's `{code, message,
 * status}` envelope, the older `{errors, message}` form without a code, or a proxy's HTML or
 * plain-text page (a Cloudflare 429/524, an nginx 413), which becomes one short readable line.
 */
import { APIError } from './errors.js';

const MAX_TEXT_MESSAGE = 200;

export async function errorFromResponse(response: Response): Promise<APIError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // Body unreadable (connection dropped mid-body): the status alone still classifies it.
  }
  return errorFromBody(response.status, response.statusText, text, response.headers);
}

export function errorFromBody(status: number, statusText: string, text: string, headers: Headers): APIError {
  const json = tryParseJson(text);
  if (json !== undefined && typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const body = json as Record<string, unknown>;
    const code = typeof body['code'] === 'string' ? body['code'] : undefined;
    const message = messageFromJson(body) ?? (statusText || `HTTP ${status}`);
    const param = typeof body['params'] === 'string' ? body['params'] : legacyParam(body);
    return APIError.from({ status, code, message, body: json, headers, param });
  }
  return APIError.from({ status, message: messageFromText(status, statusText, text), body: text, headers });
}

function tryParseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

function messageFromJson(body: Record<string, unknown>): string | undefined {
  const errors = body['errors'];
  if (errors && typeof errors === 'object') {
    // flask-restx reqparse: {"errors": {"inputs": "Missing required parameter…"}, "message": "Input payload validation failed"}
    const details = Object.entries(errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`);
    const head = typeof body['message'] === 'string' ? body['message'] : 'Invalid request';
    return details.length > 0 ? `${head} (${details.join('; ')})` : head;
  }
  if (typeof body['message'] === 'string') return body['message'];
  if (typeof body['error'] === 'string') return body['error'];
  return undefined;
}

function legacyParam(body: Record<string, unknown>): string | undefined {
  const errors = body['errors'];
  if (!errors || typeof errors !== 'object') return undefined;
  return Object.keys(errors)[0];
}

/** One readable line from an HTML or text body: its <title>, Cloudflare's code, or its text. */
function messageFromText(status: number, statusText: string, text: string): string {
  const head = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const trimmed = text.trim();
  if (trimmed === '') return head;
  const cloudflare = /error code:?\s*(\d{3,4})/i.exec(trimmed);
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1];
  let detail: string;
  if (title !== undefined) detail = collapse(decodeEntities(title));
  else if (/^<!doctype|^<html|<body/i.test(trimmed)) detail = collapse(decodeEntities(trimmed.replace(/<[^>]*>/g, ' ')));
  else detail = collapse(trimmed);
  if (cloudflare && !detail.includes(cloudflare[0])) detail = `${detail} (Cloudflare ${cloudflare[0]})`;
  if (detail.length > MAX_TEXT_MESSAGE) detail = `${detail.slice(0, MAX_TEXT_MESSAGE - 1)}…`;
  return detail === '' ? head : `${head}: ${detail}`;
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function decodeEntities(s: string): string {
  return s
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
}
