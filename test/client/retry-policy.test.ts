import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APIConnectionError, APIError, APITimeoutError, isRetryable, retryDelayMs } from '../../src/index.js';
import { errorFromBody } from '../../src/client/error-body.js';

const apiError = (status: number, code?: string, message = 'x', headers: Record<string, string> = {}) =>
  APIError.from({ status, code, message, headers: new Headers(headers) });

describe('which failures are retried', () => {
  test('idempotent calls: connection errors, timeouts, 408, 409, 429 and 5xx', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 524]) assert.ok(isRetryable(apiError(status), 'idempotent'), String(status));
    for (const status of [400, 401, 403, 404, 413, 415, 422]) assert.ok(!isRetryable(apiError(status), 'idempotent'), String(status));
    assert.ok(isRetryable(new APIConnectionError('reset'), 'idempotent'));
    assert.ok(isRetryable(new APITimeoutError(10), 'idempotent'));
    assert.ok(!isRetryable(apiError(429, 'rate_limit_error'), 'idempotent'), 'quota is not retried');
    assert.ok(!isRetryable(apiError(500, undefined, 'x', { 'x-should-retry': 'false' }), 'idempotent'));
  });

  test('run POSTs: only when never sent or turned away by a rate limiter', () => {
    assert.ok(isRetryable(new APIConnectionError('refused', { notSent: true }), 'run'));
    assert.ok(!isRetryable(new APIConnectionError('reset after send'), 'run'));
    assert.ok(!isRetryable(new APITimeoutError(10), 'run'));
    for (const status of [500, 502, 503, 504, 408, 409]) assert.ok(!isRetryable(apiError(status), 'run'), String(status));
    assert.ok(isRetryable(apiError(429, 'too_many_requests'), 'run'));
    assert.ok(isRetryable(apiError(429), 'run'), 'an edge-proxy 429 without a code');
    assert.ok(isRetryable(apiError(400, 'invalid_param', 'Too many requests. Please try again later.'), 'run'));
    assert.ok(!isRetryable(apiError(429, 'rate_limit_error'), 'run'));
    assert.ok(!isRetryable(apiError(500, undefined, 'x', { 'x-should-retry': 'true' }), 'run'), 'a header cannot make a run POST safe');
  });
});

describe('backoff', () => {
  test('min(0.5·2ⁿ, 8) s with up to 25 % jitter', () => {
    assert.equal(
      retryDelayMs(0, new Error(), () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, new Error(), () => 0),
      1000,
    );
    assert.equal(
      retryDelayMs(3, new Error(), () => 0),
      4000,
    );
    assert.equal(
      retryDelayMs(10, new Error(), () => 0),
      8000,
    );
    assert.equal(
      retryDelayMs(0, new Error(), () => 1),
      375,
    );
  });

  test('Retry-After and retry-after-ms are honoured up to 60 s', () => {
    assert.equal(retryDelayMs(0, apiError(429, undefined, 'x', { 'retry-after': '3' })), 3000);
    assert.equal(retryDelayMs(0, apiError(429, undefined, 'x', { 'retry-after-ms': '250' })), 250);
    assert.equal(
      retryDelayMs(0, apiError(429, undefined, 'x', { 'retry-after': '3600' }), () => 0),
      500,
      'over 60 s falls back to backoff',
    );
    const date = new Date(Date.now() + 2000).toUTCString();
    const fromDate = retryDelayMs(0, apiError(429, undefined, 'x', { 'retry-after': date }));
    assert.ok(fromDate > 0 && fromDate <= 2000, String(fromDate));
  });
});

describe('error bodies', () => {
  test('nginx HTML 413 becomes a short PayloadTooLargeError', () => {
    const error = errorFromBody(
      413,
      'Payload Too Large',
      '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>',
      new Headers(),
    );
    assert.equal(error.name, 'PayloadTooLargeError');
    assert.equal(error.message, 'HTTP 413 Payload Too Large: 413 Request Entity Too Large');
  });

  test('plain-text Cloudflare body keeps the code', () => {
    const error = errorFromBody(429, '', 'error code: 1015', new Headers());
    assert.equal(error.message, 'HTTP 429: error code: 1015');
  });

  test('415 and an empty body', () => {
    const error = errorFromBody(415, 'Unsupported Media Type', '', new Headers());
    assert.equal(error.name, 'UnsupportedMediaTypeError');
    assert.equal(error.message, 'HTTP 415 Unsupported Media Type');
  });
});
