/** Every SDK error class → one line a person understands, and the documented exit code. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DifyClient } from '../../src/index.js';
import { describeError } from '../../src/client/describe-error.js';
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  DifyStreamError,
  InvalidRunIdError,
  StreamEndedError,
  StreamIdleTimeoutError,
} from '../../src/client/errors.js';
import { exitCodeFor } from '../../src/cli/command-kit.js';
import { OptionError } from '../../src/cli/config/environment.js';
import { InputError } from '../../src/batch/input/input-error.js';
import { UsageError } from '../../src/batch/index.js';

const BASE = 'https://dify.example/v1';
const api = (status: number, code: string | undefined, message: string) => APIError.from({ status, code, message, body: { code, message, status } });
const progress = { taskId: 't', workflowRunId: 'r', lastEvent: 'node_started', eventCount: 3 };

const cases: [string, unknown, RegExp, number][] = [
  [
    '401',
    api(401, 'unauthorized', 'Access token is invalid'),
    /^The API key was rejected by https:\/\/dify\.example\/v1 \(Access token is invalid\) — check DIFY_API_KEY$/,
    3,
  ],
  ['403', api(403, 'forbidden', 'Forbidden'), /^Access denied by .*: Forbidden — check that the app's API access is enabled$/, 3],
  ['app_unavailable', api(400, 'app_unavailable', 'App unavailable, please check your app configurations.'), /^The workflow app is not published/, 3],
  ['Workflow not published', api(400, 'invalid_param', 'Workflow not published'), /^The workflow app is not published \(Workflow not published\)/, 3],
  [
    'not_workflow_app',
    api(400, 'not_workflow_app', 'Please check if your app mode matches the right API route.'),
    /^This API key belongs to an app that is not a workflow app/,
    3,
  ],
  ['quota', api(429, 'rate_limit_error', 'Workflow execution quota limit reached for tenant t'), /^The Dify plan's quota is exhausted/, 3],
  [
    'too many requests',
    api(429, 'too_many_requests', 'Too many requests. Please try again later.'),
    /^Too many concurrent requests for this app at .* — lower --concurrency/,
    4,
  ],
  ['invalid_param', api(400, 'invalid_param', 'rating is required in input form'), /^rating is required in input form \(HTTP 400 invalid_param\)$/, 2],
  ['404 from Dify', api(404, 'not_found', 'Workflow run not found.'), /^Not found at .*: Workflow run not found\.$/, 2],
  [
    '404 not Dify',
    APIError.from({ status: 404, code: undefined, message: 'Not Found', body: '<html>' }),
    /^No Dify API at .* — check DIFY_API_BASE_URL \(it usually ends in \/v1\)$/,
    4,
  ],
  [
    '404 route, Flask JSON',
    api(404, 'not_found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.'),
    /^No Dify API at .* \(it usually ends in \/v1\)$/,
    4,
  ],
  [
    '502 gateway',
    APIError.from({ status: 502, code: undefined, message: '502 Bad Gateway', body: '<html>' }),
    /^https:\/\/dify\.example\/v1 answered HTTP 502 .* — the server or a proxy in front of it failed$/,
    4,
  ],
  [
    'refused',
    new APIConnectionError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
    /^Cannot reach .* \(ECONNREFUSED\) — check DIFY_API_BASE_URL/,
    4,
  ],
  ['timeout', new APITimeoutError(300_000), /— raise --timeout or check the server$/, 4],
  [
    'stream error event',
    new DifyStreamError('Node Code failed', 'internal_server_error', 500, progress),
    /^The workflow reported an error: Node Code failed$/,
    1,
  ],
  ['stream ended', new StreamEndedError(progress), /closed/, 4],
  ['stream idle', new StreamIdleTimeoutError(progress, 30_000, 'bytes'), /30/, 4],
  ['aborted', new APIUserAbortError(), /^Interrupted$/, 130],
  ['bad option', new OptionError('--concurrency must be a whole number ≥ 1, got "x"'), /^--concurrency must be/, 2],
  ['bad input', new InputError('in.csv', 3, 'empty id'), /in\.csv:3: empty id/, 2],
  ['malformed run id', new InvalidRunIdError('not-a-uuid'), /^"not-a-uuid" is not a workflow run id/, 2],
  ['batch usage', new UsageError('--output must not be the input file'), /^--output must not be the input file$/, 2],
];

for (const [name, error, message, exitCode] of cases) {
  test(`${name} → "${message.source.slice(0, 40)}…", exit ${exitCode}`, () => {
    const line = describeError(error, BASE);
    assert.match(line, message);
    assert.ok(!line.includes('\n'), 'one line');
    assert.equal(exitCodeFor(error), exitCode);
  });
}

test('a port fetch refuses to use (6000, on the unsafe-ports list) is named, not "fetch failed"', async () => {
  const client = new DifyClient({ apiKey: 'app-k', baseURL: 'http://127.0.0.1:6000/v1', maxRetries: 0 });
  const error: unknown = await client.app.info().catch((caught: unknown) => caught);
  assert.match(describeError(error, 'http://127.0.0.1:6000/v1'), /^Cannot reach http:\/\/127\.0\.0\.1:6000\/v1: fetch refuses port 6000 /);
  assert.equal(exitCodeFor(error), 4);
});
