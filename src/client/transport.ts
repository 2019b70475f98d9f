/**
 * The HTTP core every resource method goes through: URL and headers, per-attempt timeout,
 * the caller's AbortSignal, classification of failures, and the retry loop.
 * Uses only fetch and AbortController so it runs on any modern runtime.
 */
import { errorFromResponse } from './error-body.js';
import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError, DifyError } from './errors.js';
import { isRetryable, retryDelayMs, type Idempotency } from './retry-policy.js';
import { VERSION } from '../version.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options every call accepts, overriding the client's defaults. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait for response headers (and, for non-streaming calls, the body). */
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  headers?: Record<string, string> | undefined;
}

export interface TransportConfig {
  apiKey: string;
  baseURL: string;
  timeout: number;
  maxRetries: number;
  fetch: FetchLike;
  defaultHeaders: Record<string, string>;
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** A JSON-serialisable body, or FormData (multipart). */
  body?: unknown;
  idempotency: Idempotency;
  /** Extra headers for this request (e.g. X-Trace-Id). */
  headers?: Record<string, string | undefined> | undefined;
  /** For streams: the Accept header and no timer on the body. */
  stream?: boolean;
}

/** A successful response whose body is still to be read, with its abort handle. */
export interface OpenResponse {
  response: Response;
  controller: AbortController;
  /** Clears the timer and signal listener; call once the body is consumed or abandoned. */
  release: () => void;
  attempts: number;
}

const TIMEOUT = Symbol('timeout');
const USER_ABORT = Symbol('user-abort');

/** Error codes that prove the request bytes never left this machine. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export class Transport {
  constructor(readonly config: TransportConfig) {}

  url(path: string, query?: RequestSpec['query']): string {
    const url = new URL(this.config.baseURL.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** Sends with retries and returns the parsed JSON body of a 2xx response. */
  async json<T>(spec: RequestSpec, options: RequestOptions = {}): Promise<T> {
    const open = await this.open(spec, options, { keepTimer: true });
    try {
      const text = await open.response.text();
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch (error) {
      throw this.#bodyError(error, open.controller, options);
    } finally {
      open.release();
    }
  }

  /** Sends with retries and returns the raw 2xx response (for streams and downloads). */
  async open(spec: RequestSpec, options: RequestOptions = {}, { keepTimer = false }: { keepTimer?: boolean } = {}): Promise<OpenResponse> {
    const maxRetries = options.maxRetries ?? this.config.maxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        const open = await this.#attempt(spec, options, attempt, keepTimer);
        return { ...open, attempts: attempt + 1 };
      } catch (error) {
        if (attempt >= maxRetries || !isRetryable(error, spec.idempotency)) throw error;
        // A Retry-After may ask for up to 60 s; never wait longer than the configured timeout.
        await sleep(Math.min(retryDelayMs(attempt, error), options.timeout ?? this.config.timeout), options.signal);
      }
    }
  }

  async #attempt(spec: RequestSpec, options: RequestOptions, attempt: number, keepTimer: boolean): Promise<Omit<OpenResponse, 'attempts'>> {
    const userSignal = options.signal;
    if (userSignal?.aborted) throw new APIUserAbortError();
    const controller = new AbortController();
    const onUserAbort = () => controller.abort(USER_ABORT);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    const timeout = options.timeout ?? this.config.timeout;
    let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => controller.abort(TIMEOUT), timeout);
    const release = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      userSignal?.removeEventListener('abort', onUserAbort);
    };

    let response: Response;
    try {
      response = await this.config.fetch(this.url(spec.path, spec.query), {
        method: spec.method,
        headers: this.#headers(spec, options, attempt),
        body: encodeBody(spec.body) ?? null,
        signal: controller.signal,
      });
    } catch (error) {
      release();
      throw this.#fetchError(error, controller, timeout);
    }

    if (!response.ok) {
      let apiError: APIError;
      try {
        apiError = await errorFromResponse(response);
      } finally {
        release();
      }
      throw apiError;
    }
    if (!keepTimer) {
      clearTimeout(timer);
      timer = undefined;
    }
    return { response, controller, release };
  }

  /**
   * Lower-case names in a plain record (any fetch takes one): building a `Headers` per request
   * costs CPU, and on Node its first use loads undici even when another fetch is plugged in.
   */
  #headers(spec: RequestSpec, options: RequestOptions, attempt: number): Record<string, string> {
    const headers: Record<string, string> = {
      accept: spec.stream ? 'text/event-stream' : 'application/json',
      'x-difyrun-version': VERSION,
    };
    const set = (key: string, value: string) => (headers[key.toLowerCase()] = value);
    if (spec.body !== undefined && !isFormData(spec.body)) set('Content-Type', 'application/json');
    if (attempt > 0) set('X-Difyrun-Retry-Count', String(attempt));
    for (const [key, value] of Object.entries(this.config.defaultHeaders)) set(key, value);
    for (const [key, value] of Object.entries(spec.headers ?? {})) if (value !== undefined) set(key, value);
    for (const [key, value] of Object.entries(options.headers ?? {})) set(key, value);
    // Last, so no header option can replace the credential by accident.
    set('Authorization', `Bearer ${this.config.apiKey}`);
    return headers;
  }

  #fetchError(error: unknown, controller: AbortController, timeout: number): DifyError {
    if (controller.signal.reason === TIMEOUT) return new APITimeoutError(timeout);
    if (controller.signal.reason === USER_ABORT) return new APIUserAbortError();
    if (error instanceof DifyError) return error;
    const codes = errorCodes(error);
    const notSent = codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code));
    const detail = codes.length > 0 ? ` (${[...new Set(codes)].join(', ')})` : '';
    const message = error instanceof Error ? error.message : String(error);
    return new APIConnectionError(`Connection error: ${message}${detail}`, { cause: error, notSent });
  }

  #bodyError(error: unknown, controller: AbortController, options: RequestOptions): DifyError {
    if (error instanceof SyntaxError) return new DifyError(`The server sent a body that is not valid JSON: ${error.message}`);
    return this.#fetchError(error, controller, options.timeout ?? this.config.timeout);
  }
}

function encodeBody(body: unknown): BodyInit | undefined {
  if (body === undefined) return undefined;
  if (isFormData(body)) return body;
  return JSON.stringify(body);
}

/** By its tag, not `instanceof FormData`: on Node, reading the global FormData loads undici (~50 ms of CPU before a batch's first request). */
function isFormData(body: unknown): body is FormData {
  return Object.prototype.toString.call(body) === '[object FormData]';
}

/** Collects `code`s along an error's cause chain (and AggregateError members). */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== 'object' || depth > 5) return [];
  const codes: string[] = [];
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') codes.push(code);
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const inner of nested) codes.push(...errorCodes(inner, depth + 1));
  codes.push(...errorCodes((error as { cause?: unknown }).cause, depth + 1));
  // A wrapper code (fetch's TypeError has none) is less specific than the codes under it.
  return codes;
}

/** Resolves after `ms`, or rejects with APIUserAbortError when the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
