/** What a failed attempt means, for every error the SDK can throw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APIConnectionError, APIError, APITimeoutError, DifyStreamError, StreamEndedError, StreamIdleTimeoutError } from '../../src/client/errors.js';
import { classify } from '../../src/batch/execute/classify.js';

const progress = { taskId: 't1', workflowRunId: 'r1', lastEvent: 'node_started', eventCount: 3 };
const noIds = { taskId: undefined, workflowRunId: undefined, lastEvent: undefined, eventCount: 0 };
const http = (status: number, code: string | undefined, message: string, headers: Record<string, string> = {}) =>
  APIError.from({ status, code, message, headers: new Headers(headers) });

const cases: [string, unknown, Record<string, unknown>][] = [
  ['401', http(401, 'unauthorized', 'Access token is invalid'), { kind: 'fatal' }],
  ['403 file_access_denied is one row', http(403, 'file_access_denied', 'no'), { kind: 'rejected' }],
  ['403 otherwise', http(403, 'forbidden', 'no'), { kind: 'fatal' }],
  ['app unavailable', http(400, 'app_unavailable', 'App unavailable'), { kind: 'fatal' }],
  ['workflow not published', http(400, 'invalid_param', 'Workflow not published'), { kind: 'fatal' }],
  ['quota', http(429, 'rate_limit_error', 'quota exceeded'), { kind: 'quota' }],
  ['429 with Retry-After', http(429, 'too_many_requests', 'slow down', { 'retry-after': '3' }), { kind: 'overloaded', retryAfterMs: 3000 }],
  ['Dify 1.x cap as 400', http(400, 'invalid_param', 'Too many requests. Please try again later.'), { kind: 'overloaded', retryAfterMs: undefined }],
  ['bad input', http(400, 'invalid_param', 'query is required in input form'), { kind: 'rejected' }],
  ['500 from Dify (JSON)', http(500, 'internal_server_error', 'boom'), { kind: 'ambiguous', likelyRunning: false }],
  ['502 from a gateway', http(502, undefined, '<html>bad gateway</html>'), { kind: 'ambiguous', likelyRunning: true }],
  ['408', http(408, undefined, 'timeout'), { kind: 'ambiguous', likelyRunning: true }],
  ['timeout', new APITimeoutError(1000), { kind: 'ambiguous', likelyRunning: true }],
  ['refused', new APIConnectionError('ECONNREFUSED', { notSent: true }), { kind: 'not-sent' }],
  ['reset', new APIConnectionError('ECONNRESET'), { kind: 'ambiguous', likelyRunning: true }],
  ['stream dropped', new StreamEndedError(progress), { kind: 'ambiguous', runId: 'r1', taskId: 't1', likelyRunning: true }],
  ['stream stalled', new StreamIdleTimeoutError(noIds, 45000, 'bytes'), { kind: 'ambiguous', runId: undefined }],
  ['error event', new DifyStreamError('node failed', 'workflow_error', 400, progress), { kind: 'run-error', runId: 'r1' }],
  ['cap as error event', new DifyStreamError('Too many requests', undefined, undefined, noIds), { kind: 'overloaded' }],
  ['anything else', new Error('weird'), { kind: 'rejected' }],
];

for (const [name, error, expected] of cases) {
  test(`classify: ${name}`, () => {
    const verdict = classify(error) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(verdict[key], value, `${key} of ${name}`);
  });
}

test('the stalled-stream code says "stalled", a dropped stream "ended"', () => {
  assert.equal(classify(new StreamIdleTimeoutError(noIds, 45000, 'bytes')).error.code, 'stream_stalled');
  assert.equal(classify(new StreamEndedError(noIds)).error.code, 'stream_ended');
});
