/**
 * One line a person understands for any SDK error: what happened and what to do about it.
 * Used by the CLI and the batch summary; never includes the API key.
 */
import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError, DifyStreamError, RateLimitError, StreamEndedError } from './errors.js';

/** Where the key and the base URL came from, named in the advice ("--api-key", "DIFY_API_KEY in .env"). */
export interface SettingSources {
  apiKey: string;
  baseURL: string;
}

const FROM_ENV: SettingSources = { apiKey: 'DIFY_API_KEY', baseURL: 'DIFY_API_BASE_URL' };

export function describeError(error: unknown, baseURL: string, sources: SettingSources = FROM_ENV): string {
  if (error instanceof RateLimitError) {
    if (error.isQuotaExhausted) return `The Dify plan's quota is exhausted (${error.message}) — wait for it to reset or upgrade the plan`;
    return `Too many concurrent requests for this app at ${baseURL} (${error.message}) — lower --concurrency or raise the app's limit`;
  }
  if (error instanceof APIError) {
    if (error.status === 401) return `The API key was rejected by ${baseURL} (${error.message}) — check ${sources.apiKey}`;
    if (error.status === 403) return `Access denied by ${baseURL}: ${error.message} — check that the app's API access is enabled`;
    if (error.code === 'app_unavailable' || /workflow not published/i.test(error.message)) {
      return `The workflow app is not published (${error.message}) — publish it in Dify, then try again`;
    }
    if (error.code === 'not_workflow_app') return `This API key belongs to an app that is not a workflow app (${error.message})`;
    if (isNoSuchRoute(error)) return `No Dify API at ${baseURL} (HTTP 404) — check ${sources.baseURL} (it usually ends in /v1)`;
    if (error.status === 404) return `Not found at ${baseURL}: ${error.message}`;
    if (error.code === undefined && error.status >= 500)
      return `${baseURL} answered HTTP ${error.status} (${error.message}) — the server or a proxy in front of it failed`;
    return `${error.message} (HTTP ${error.status}${error.code ? ` ${error.code}` : ''})`;
  }
  if (error instanceof DifyStreamError) return `The workflow reported an error: ${error.message}`;
  if (error instanceof StreamEndedError) return error.message;
  if (error instanceof APITimeoutError) return `${error.message} from ${baseURL} — raise --timeout or check the server`;
  if (error instanceof APIConnectionError) {
    const code = causeCode(error.cause);
    // The global fetch never connects to the ports on the WHATWG "bad ports" list (6000, 6665-6669, 5060…);
    // the CLI's node:http fetch does, so only SDK users on the global fetch meet this.
    if (code === undefined && causeMessage(error.cause) === 'bad port') {
      return `Cannot reach ${baseURL}: fetch refuses port ${portOf(baseURL)} (on its list of unsafe ports) — run the server on another port`;
    }
    return `Cannot reach ${baseURL} (${code ?? error.message}) — check ${sources.baseURL} and that the server is running`;
  }
  if (error instanceof APIUserAbortError) return 'Interrupted';
  return error instanceof Error ? error.message : String(error);
}

/**
 * A 404 for the URL itself rather than for a run or file: an HTML page, or Flask's generic
 * "The requested URL was not found" (a base URL without /v1, or not a Dify server at all).
 */
export function isNoSuchRoute(error: APIError): boolean {
  return error.status === 404 && (error.code === undefined || error.message.startsWith('The requested URL was not found on the server'));
}

/** The innermost cause's message (undici nests the reason: TypeError "fetch failed" → Error "bad port"). */
function causeMessage(error: unknown, depth = 0): string | undefined {
  if (!(error instanceof Error) || depth > 5) return undefined;
  return causeMessage(error.cause, depth + 1) ?? error.message;
}

function portOf(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    return url.port || (url.protocol === 'https:' ? '443' : '80');
  } catch {
    return '?';
  }
}

/** The first system error code (ECONNREFUSED, ENOTFOUND, …) along an error's cause chain. */
function causeCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const inner of nested) return causeCode(inner, depth + 1);
  return causeCode((error as { cause?: unknown }).cause, depth + 1);
}
