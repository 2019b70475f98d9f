/**
 * The SDK's error hierarchy. `APIError` subclasses are chosen by HTTP status so callers can
 * branch with `instanceof`; `code` is Dify's snake_case error code when the body had one.
 */

export class DifyError extends Error {
  override name = 'DifyError';
}

export interface APIErrorInit {
  status: number;
  code?: string | undefined;
  message: string;
  body?: unknown;
  headers?: Headers | undefined;
  /** The failing parameter, when Dify names it. */
  param?: string | undefined;
}

export class APIError extends DifyError {
  override name = 'APIError';
  readonly status: number;
  /** Dify's error code (`invalid_param`, `too_many_requests`, …); undefined for non-Dify bodies. */
  readonly code: string | undefined;
  /** The parsed JSON body, or the body text when it was not JSON. */
  readonly body: unknown;
  readonly headers: Headers;
  /** A request id from `x-request-id` or Cloudflare's `cf-ray`, when the response had one. */
  readonly requestId: string | undefined;
  readonly param: string | undefined;

  constructor(init: APIErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.body = init.body;
    this.headers = init.headers ?? new Headers();
    this.requestId = this.headers.get('x-request-id') ?? this.headers.get('cf-ray') ?? undefined;
    this.param = init.param;
  }

  /** Builds the subclass that matches the status. */
  static from(init: APIErrorInit): APIError {
    const Class = errorClassForStatus(init.status);
    return new Class(init);
  }
}

export class BadRequestError extends APIError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
}
export class ConflictError extends APIError {
  override name = 'ConflictError';
}
export class PayloadTooLargeError extends APIError {
  override name = 'PayloadTooLargeError';
}
export class UnsupportedMediaTypeError extends APIError {
  override name = 'UnsupportedMediaTypeError';
}
export class UnprocessableEntityError extends APIError {
  override name = 'UnprocessableEntityError';
}

/**
 * 429. Dify uses two codes: `too_many_requests` (the per-app concurrency gate: retry later)
 * and `rate_limit_error` (plan quota exhausted: retrying will not help soon).
 */
export class RateLimitError extends APIError {
  override name = 'RateLimitError';
  /** Seconds the server asked to wait (Retry-After / retry-after-ms), when it said. */
  readonly retryAfter: number | undefined;
  constructor(init: APIErrorInit) {
    super(init);
    this.retryAfter = parseRetryAfterSeconds(this.headers);
  }
  /** True when the quota is exhausted rather than too many concurrent runs. */
  get isQuotaExhausted(): boolean {
    return this.code === 'rate_limit_error';
  }
}

export class InternalServerError extends APIError {
  override name = 'InternalServerError';
}

function errorClassForStatus(status: number): new (init: APIErrorInit) => APIError {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 413:
      return PayloadTooLargeError;
    case 415:
      return UnsupportedMediaTypeError;
    case 422:
      return UnprocessableEntityError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 ? InternalServerError : APIError;
  }
}

/**
 * A run id that cannot be one (Dify's are UUIDs), caught before any request: the real server
 * answers such an id with HTTP 500. Nothing was sent; the CLI treats it as a usage error.
 */
export class InvalidRunIdError extends DifyError {
  override name = 'InvalidRunIdError';
  readonly runId: string;
  constructor(runId: string) {
    const shown = runId.length > 60 ? `${runId.slice(0, 57)}...` : runId;
    super(`"${shown}" is not a workflow run id: Dify run ids are UUIDs like 3c90c3cc-0d44-4b50-8888-8dd25736052a`);
    this.runId = runId;
  }
}

const UUID = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/** Throws InvalidRunIdError unless `runId` is a UUID (in any form PostgreSQL accepts). */
export function assertRunId(runId: string): void {
  if (!UUID.test(runId)) throw new InvalidRunIdError(runId);
}

/** The request never produced a response (refused, reset, DNS, TLS …). */
export class APIConnectionError extends DifyError {
  override name = 'APIConnectionError';
  /**
   * True when the request provably never reached the server (connection refused, DNS or TLS
   * failure before sending). Only then is a non-idempotent POST safe to send again.
   */
  readonly notSent: boolean;
  constructor(message: string, options: { cause?: unknown; notSent?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.notSent = options.notSent ?? false;
  }
}

/** No response headers within `timeout`. The server may still be running the request. */
export class APITimeoutError extends APIConnectionError {
  override name = 'APITimeoutError';
  constructor(timeoutMs: number) {
    super(`Request timed out after ${formatMs(timeoutMs)} waiting for the response`);
  }
}

/** The caller aborted (an AbortSignal, `stream.abort()`, or breaking out of a stream loop). */
export class APIUserAbortError extends DifyError {
  override name = 'APIUserAbortError';
  constructor(message = 'Request was aborted.') {
    super(message);
  }
}

/** Ids a stream had seen when it failed: enough to recover the run (detail, reattach, stop). */
export interface StreamProgress {
  taskId: string | undefined;
  workflowRunId: string | undefined;
  /** Name of the last data event received. */
  lastEvent: string | undefined;
  eventCount: number;
}

/** An `error` event inside a 200 stream. `code` and `status` are absent in the 1.11+ worker form. */
export class DifyStreamError extends DifyError {
  override name = 'DifyStreamError';
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly progress: StreamProgress;
  readonly taskId: string | undefined;
  readonly workflowRunId: string | undefined;
  constructor(message: string, code: string | undefined, status: number | undefined, progress: StreamProgress) {
    super(message);
    this.code = code;
    this.status = status;
    this.progress = progress;
    this.taskId = progress.taskId;
    this.workflowRunId = progress.workflowRunId;
  }
}

/**
 * The stream closed before `workflow_finished`, `workflow_paused` or `error`. The run may
 * still be going on the server: use `workflowRunId` to reattach or poll run detail.
 */
export class StreamEndedError extends DifyError {
  override name = 'StreamEndedError';
  readonly taskId: string | undefined;
  readonly workflowRunId: string | undefined;
  readonly progress: StreamProgress;
  constructor(progress: StreamProgress, detail = 'the connection closed') {
    super(
      `Stream ended before the workflow finished (${detail}; ${progress.eventCount} events received` +
        (progress.workflowRunId ? `, workflow_run_id ${progress.workflowRunId}` : ', no run id seen') +
        ')',
    );
    this.taskId = progress.taskId;
    this.workflowRunId = progress.workflowRunId;
    this.progress = progress;
  }
}

/**
 * The server went quiet: no bytes at all (not even a ping) for `streamIdleTimeout` (kind
 * `bytes`), pings but no event for `eventTimeout` (`events`), or no first run event for
 * `startTimeout` after the response opened (`start`).
 */
export class StreamIdleTimeoutError extends StreamEndedError {
  override name = 'StreamIdleTimeoutError';
  readonly timeoutMs: number;
  readonly kind: 'bytes' | 'events' | 'start';
  constructor(progress: StreamProgress, timeoutMs: number, kind: 'bytes' | 'events' | 'start') {
    super(progress, IDLE_DETAIL[kind](formatMs(timeoutMs)));
    this.timeoutMs = timeoutMs;
    this.kind = kind;
  }
}

/** Seconds from `retry-after-ms` or `Retry-After` (seconds or HTTP date); undefined if absent. */
export function parseRetryAfterSeconds(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value)) return value / 1000;
  }
  const header = headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return seconds;
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, (date - Date.now()) / 1000);
  return undefined;
}

const IDLE_DETAIL = {
  bytes: (t: string) => `no data for ${t}`,
  events: (t: string) => `no event for ${t}, only pings`,
  start: (t: string) => `the run did not start within ${t}`,
};

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
