import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  DifyClient,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  StreamIdleTimeoutError,
} from '../../src/index.js';
import { uploadFromPath } from '../../src/node.js';
import { createNodeFetch } from '../../src/node/http-fetch.js';
import { finishedRun, hang, json, reset, startScriptServer, text, type ScriptServer } from '../helpers/script-server.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { getEventListeners } from 'node:events';

// The same contract for the CLI's node:http fetch: http-behaviour-node-fetch.test.ts runs this file with it.
const TEST_FETCH = process.env['DIFYRUN_TEST_FETCH'] === 'node' ? createNodeFetch() : undefined;
const baseFetch = TEST_FETCH ?? fetch;

/** A loopback port with nothing listening (bound, then released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as import('node:net').AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const RUN_OK = {
  task_id: 'task-1',
  workflow_run_id: 'run-1',
  data: {
    id: 'run-1',
    workflow_id: 'wf',
    status: 'succeeded',
    outputs: { text: 'ok' },
    error: null,
    elapsed_time: 0.1,
    total_tokens: 0,
    total_steps: 2,
    created_at: 1700000000,
    finished_at: 1700000001,
  },
};

let server: ScriptServer;
let dify: DifyClient;

before(async () => {
  server = await startScriptServer();
});
after(() => server.close());
beforeEach(() => {
  server.clear();
  // Short backoff so retry tests stay fast: Retry-After headers below say 0.
  dify = new DifyClient({ fetch: TEST_FETCH, apiKey: 'app-secret-key', baseURL: server.baseURL, maxRetries: 2 });
});

describe('error envelopes', () => {
  test('401 with WWW-Authenticate becomes AuthenticationError with Dify code', async () => {
    server.script((_req, res) =>
      json(res, 401, { code: 'unauthorized', message: 'Access token is invalid', status: 401 }, { 'www-authenticate': 'Bearer realm="api"' }),
    );
    const error = await dify.app.info().catch((e: unknown) => e);
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.status, 401);
    assert.equal(error.code, 'unauthorized');
    assert.equal(error.message, 'Access token is invalid');
    assert.equal(error.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.equal(server.requests.length, 1, '401 is not retried');
    assert.ok(!JSON.stringify(error).includes('app-secret-key'), 'the key is not in the error');
  });

  test('400 invalid_param envelope', async () => {
    server.script((_req, res) => json(res, 400, { code: 'invalid_param', message: 'query is required in input form', status: 400 }));
    const error = await dify.workflows.run({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.code, 'invalid_param');
    assert.equal(error.message, 'query is required in input form');
  });

  test('old envelope without code is understood', async () => {
    server.script((_req, res) =>
      json(res, 400, { errors: { inputs: 'Missing required parameter in the JSON body' }, message: 'Input payload validation failed' }),
    );
    const error = await dify.workflows.run({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.code, undefined);
    assert.equal(error.param, 'inputs');
    assert.match(error.message, /^Input payload validation failed \(inputs: Missing required parameter/);
  });

  test('Cloudflare HTML 429 maps to RateLimitError with a short message', async () => {
    const page = `<!DOCTYPE html><html><head><title>Access denied | api.dify.ai used Cloudflare to restrict access</title></head><body>${'<div>x</div>'.repeat(500)}<p>error code: 1015</p></body></html>`;
    server.script(...Array.from({ length: 3 }, () => (_req: unknown, res: import('node:http').ServerResponse) => text(res, 429, page)));
    const noRetry = new DifyClient({ fetch: TEST_FETCH, apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 });
    const error = await noRetry.app.parameters().catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.code, undefined);
    assert.ok(error.message.length < 250, `short message, got ${error.message.length} chars`);
    assert.match(error.message, /^HTTP 429 .*Access denied \| api\.dify\.ai used Cloudflare.*error code: 1015/);
  });

  test('Cloudflare 524 maps to InternalServerError and a blocking run is not retried', async () => {
    server.script((_req, res) => text(res, 524, '<html><head><title>api.dify.ai | 524: A timeout occurred</title></head><body>…</body></html>'));
    const error = await dify.workflows.run({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.ok(error instanceof InternalServerError);
    assert.equal(error.status, 524);
    assert.match(error.message, /524: A timeout occurred/);
    assert.equal(server.requests.length, 1, 'a run POST is never retried after a 5xx');
  });

  test('404 run detail is NotFoundError', async () => {
    server.script((_req, res) => json(res, 404, { code: 'not_found', message: 'Workflow run not found.', status: 404 }));
    await assert.rejects(dify.workflows.get('00000000-0000-4000-8000-0000000000ff'), NotFoundError);
  });
});

describe('retries', { timeout: 10000 }, () => {
  test('429 with Retry-After, then success: a run POST is retried (it never executed)', async () => {
    server.script(
      (_req, res) => json(res, 429, { code: 'too_many_requests', message: 'Too many requests. Please try again later.', status: 429 }, { 'retry-after': '0' }),
      (_req, res) => json(res, 200, RUN_OK),
    );
    const result = await dify.workflows.run({ inputs: { q: 'x' }, user: 'u' });
    assert.deepEqual(result.data.outputs, { text: 'ok' });
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1]!.headers['x-difyrun-retry-count'], '1');
  });

  test('400 "Too many requests" (Dify 1.x concurrency gate) is retried for a run', async () => {
    server.script(
      (_req, res) =>
        json(
          res,
          400,
          {
            code: 'invalid_param',
            message: 'Too many requests. Please try again later. The current maximum concurrent requests allowed for app is 2.',
            status: 400,
          },
          { 'retry-after-ms': '5' },
        ),
      (_req, res) => json(res, 200, RUN_OK),
    );
    await dify.workflows.run({ inputs: {}, user: 'u' });
    assert.equal(server.requests.length, 2);
  });

  test('429 rate_limit_error (quota) is not retried', async () => {
    server.script((_req, res) => json(res, 429, { code: 'rate_limit_error', message: 'Workflow execution quota limit reached for tenant t', status: 429 }));
    const error = await dify.workflows.run({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitError);
    assert.ok(error.isQuotaExhausted);
    assert.equal(server.requests.length, 1);
  });

  test('a run POST is not retried after a 500', async () => {
    server.script((_req, res) => json(res, 500, { code: 'internal_server_error', message: 'boom', status: 500 }));
    await assert.rejects(dify.workflows.run({ inputs: {}, user: 'u' }), InternalServerError);
    assert.equal(server.requests.length, 1);
  });

  test('a run POST is not retried after a timeout', async () => {
    server.script(hang, hang, hang);
    // 1 s, not less: on a loaded machine a shorter timeout can fire before the request arrives.
    const error = await dify.workflows.run({ inputs: {}, user: 'u' }, { timeout: 1000 }).catch((e: unknown) => e);
    assert.ok(error instanceof APITimeoutError);
    assert.match(error.message, /timed out after 1 s/);
    assert.equal(server.requests.length, 1);
  });

  test('a run POST is not retried after a connection reset (it may have executed)', async () => {
    server.script(reset, reset);
    const error = await dify.workflows.run({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.ok(error instanceof APIConnectionError);
    assert.equal(error.notSent, false);
    assert.equal(server.requests.length, 1);
  });

  test('a run POST is retried when the connection was refused (it never arrived)', async () => {
    const closedPort = await freePort();
    let calls = 0;
    const client = new DifyClient({
      apiKey: 'k',
      baseURL: server.baseURL,
      fetch: async (input, init) => {
        calls++;
        // First attempt: a closed port on loopback, so the refusal is real.
        if (calls === 1) return baseFetch(`http://127.0.0.1:${closedPort}/v1/workflows/run`, init);
        return baseFetch(input, init);
      },
    });
    server.script((_req, res) => json(res, 200, RUN_OK));
    const result = await client.workflows.run({ inputs: {}, user: 'u' });
    assert.equal(result.workflow_run_id, 'run-1');
    assert.equal(calls, 2);
  });

  test('a GET is retried after 503 and after a reset', async () => {
    server.script(
      (_req, res) => json(res, 503, { code: 'unavailable', message: 'try later', status: 503 }, { 'retry-after': '0' }),
      reset,
      (_req, res) => json(res, 200, { name: 'App', description: '', tags: [], mode: 'workflow', author_name: 'me' }),
    );
    const info = await dify.app.info();
    assert.equal(info.name, 'App');
    assert.equal(server.requests.length, 3);
  });

  test('maxRetries bounds the attempts', async () => {
    server.script(
      ...Array.from(
        { length: 5 },
        () => (_req: unknown, res: import('node:http').ServerResponse) => json(res, 502, { message: 'bad gateway' }, { 'retry-after': '0' }),
      ),
    );
    await assert.rejects(dify.app.info({}, { maxRetries: 1 }), InternalServerError);
    assert.equal(server.requests.length, 2);
  });
});

describe('resources', () => {
  test('run sends the documented body, workflowId path and X-Trace-Id', async () => {
    server.script((_req, res) => json(res, 200, RUN_OK));
    await dify.workflows.run({ inputs: { q: '日本' }, user: 'u-1', traceId: 'trace-9', workflowId: 'wf-123' });
    const req = server.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/workflows/wf-123/run');
    assert.equal(req.headers['authorization'], 'Bearer app-secret-key');
    assert.equal(req.headers['x-trace-id'], 'trace-9');
    assert.deepEqual(JSON.parse(req.body.toString('utf8')), { inputs: { q: '日本' }, response_mode: 'blocking', user: 'u-1' });
  });

  test('run detail with string inputs/outputs is normalised to objects', async () => {
    server.script((_req, res) =>
      json(res, 200, {
        id: 'run-1',
        workflow_id: 'wf',
        status: 'succeeded',
        inputs: '{"q": "x", "sys.user_id": "u", "sys.files": []}',
        outputs: '{"text": "done"}',
        error: null,
        total_steps: 3,
        total_tokens: 0,
        created_at: 1,
        finished_at: 2,
        elapsed_time: 0.5,
      }),
    );
    const detail = await dify.workflows.get('3c90c3cc-0d44-4b50-8888-8dd25736052a');
    assert.deepEqual(detail.inputs, { q: 'x', 'sys.user_id': 'u', 'sys.files': [] });
    assert.deepEqual(detail.outputs, { text: 'done' });
    assert.equal(server.requests[0]!.url, '/v1/workflows/run/3c90c3cc-0d44-4b50-8888-8dd25736052a');
  });

  test('run detail with object outputs (1.11+) stays an object; null becomes {}', async () => {
    server.script((_req, res) =>
      json(res, 200, {
        id: 'r',
        workflow_id: 'w',
        status: 'running',
        inputs: '{}',
        outputs: null,
        error: null,
        total_steps: 0,
        total_tokens: 0,
        created_at: 1,
        finished_at: null,
        elapsed_time: 0,
      }),
    );
    const detail = await dify.workflows.get('3c90c3cc-0d44-4b50-8888-8dd25736052a');
    assert.deepEqual(detail.outputs, {});
    assert.equal(detail.finished_at, null);
  });

  test('logs across three pages with iterateLogs, filters sent as Dify names', async () => {
    const entry = (n: number) => ({
      id: `log-${n}`,
      workflow_run: {
        id: `run-${n}`,
        version: 'v',
        status: 'succeeded',
        error: null,
        elapsed_time: 1,
        total_tokens: 0,
        total_steps: 2,
        created_at: 1,
        finished_at: 2,
      },
      created_from: 'service-api',
      created_by_role: 'end_user',
      created_by_account: null,
      created_by_end_user: { id: 'eu', type: 'service_api', is_anonymous: false, session_id: 'u' },
      created_at: 1,
    });
    server.script(
      (_req, res) => json(res, 200, { page: 1, limit: 2, total: 5, has_more: true, data: [entry(1), entry(2)] }),
      (_req, res) => json(res, 200, { page: 2, limit: 2, total: 5, has_more: true, data: [entry(3), entry(4)] }),
      (_req, res) => json(res, 200, { page: 3, limit: 2, total: 5, has_more: false, data: [entry(5)] }),
    );
    const ids: string[] = [];
    for await (const log of dify.workflows.iterateLogs({
      limit: 2,
      status: 'succeeded',
      endUserSessionId: 'row-7',
      createdAtAfter: new Date('2026-01-01T00:00:00Z'),
    })) {
      ids.push(log.id);
    }
    assert.deepEqual(ids, ['log-1', 'log-2', 'log-3', 'log-4', 'log-5']);
    assert.equal(server.requests.length, 3);
    const url = new URL(server.requests[2]!.url, 'http://x');
    assert.equal(url.pathname, '/v1/workflows/logs');
    assert.equal(url.searchParams.get('page'), '3');
    assert.equal(url.searchParams.get('limit'), '2');
    assert.equal(url.searchParams.get('status'), 'succeeded');
    assert.equal(url.searchParams.get('created_by_end_user_session_id'), 'row-7');
    assert.equal(url.searchParams.get('created_at__after'), '2026-01-01T00:00:00.000Z');
  });

  test('multipart upload sends fields file and user', async () => {
    server.script((_req, res) =>
      json(res, 201, { id: 'f-1', name: 'notes.txt', size: 11, extension: 'txt', mime_type: 'text/plain', created_by: 'eu', created_at: 1 }),
    );
    const uploaded = await dify.files.upload(new TextEncoder().encode('hello 世界'), { user: 'u-9', filename: 'notes.txt', mimeType: 'text/plain' });
    assert.equal(uploaded.id, 'f-1');
    const req = server.requests[0]!;
    assert.match(String(req.headers['content-type']), /^multipart\/form-data; boundary=/);
    const body = req.body.toString('utf8');
    assert.match(body, /Content-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text\/plain\r\n\r\nhello 世界\r\n/);
    assert.match(body, /Content-Disposition: form-data; name="user"\r\n\r\nu-9\r\n/);
  });

  test('uploadFromPath (Node entry) infers name and MIME type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'difyrun-'));
    const path = join(dir, 'report.pdf');
    writeFileSync(path, '%PDF-1.4 fake');
    server.script((_req, res) =>
      json(res, 201, { id: 'f-2', name: 'report.pdf', size: 13, extension: 'pdf', mime_type: 'application/pdf', created_by: 'eu', created_at: 1 }),
    );
    await uploadFromPath(dify, path, { user: 'u' });
    assert.match(server.requests[0]!.body.toString('utf8'), /filename="report.pdf"\r\nContent-Type: application\/pdf/);
  });

  test('info, parameters, meta, site and stop hit their endpoints', async () => {
    server.script(
      (_req, res) => json(res, 200, { name: 'n', description: '', tags: [], mode: 'workflow', author_name: 'a' }),
      (_req, res) => json(res, 200, { user_input_form: [], system_parameters: { file_size_limit: 15 } }),
      (_req, res) => json(res, 200, { tool_icons: {} }),
      (_req, res) => json(res, 200, { title: 't' }),
      (_req, res) => json(res, 200, { result: 'success' }),
    );
    await dify.app.info({ user: 'u' });
    await dify.app.parameters();
    await dify.app.meta();
    await dify.app.site();
    assert.deepEqual(await dify.workflows.stop('task-9', 'u'), { result: 'success' });
    assert.deepEqual(
      server.requests.map((r) => `${r.method} ${r.url}`),
      ['GET /v1/info?user=u', 'GET /v1/parameters', 'GET /v1/meta', 'GET /v1/site', 'POST /v1/workflows/tasks/task-9/stop'],
    );
    assert.deepEqual(JSON.parse(server.requests[4]!.body.toString()), { user: 'u' });
  });
});

describe('streaming over HTTP', () => {
  const RUN = '0d7e5a10-0000-4000-8000-000000000001';
  const TASK = '0d7e5a10-0000-4000-8000-000000000002';
  const ev = (event: string, data: object) => `data: ${JSON.stringify({ event, workflow_run_id: RUN, task_id: TASK, data })}\n\n`;

  test('stop() calls the stop endpoint with the task id and user; the stream ends with the server final event', async () => {
    let streamRes: import('node:http').ServerResponse | undefined;
    server.script(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: ping\n\n');
        res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
        streamRes = res;
      },
      (req, res) => {
        json(res, 200, { result: 'success' });
        streamRes!.write(ev('node_finished', { id: 'e', node_id: 'n', node_type: 'llm', title: 'LLM', index: 2, status: 'stopped', error: null }));
        streamRes!.end(ev('workflow_finished', finishedRun(RUN, { status: 'stopped', error: 'Stopped by user.', total_steps: 2 })));
        assert.equal(req.url, `/v1/workflows/tasks/${TASK}/stop`);
      },
    );
    const stream = dify.workflows.stream({ inputs: {}, user: 'alice' });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.event);
      if (event.event === 'workflow_started') await stream.stop();
    }
    assert.deepEqual(seen, ['workflow_started', 'node_finished', 'workflow_finished']);
    const result = await stream.finalResult();
    assert.equal(result.data.status, 'stopped');
    assert.equal(result.data.error, 'Stopped by user.');
    assert.deepEqual(JSON.parse(server.requests[1]!.body.toString()), { user: 'alice' });
    assert.equal(stream.pingCount, 1);
  });

  test('a shared AbortSignal does not collect a listener per finished stream', async () => {
    const shared = new AbortController();
    for (let i = 0; i < 3; i++) {
      server.script((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(ev('workflow_finished', finishedRun(RUN)));
      });
      await dify.workflows.stream({ inputs: {}, user: 'u' }, { signal: shared.signal }).finalResult();
    }
    assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
  });

  test('abort() closes the connection and rejects with APIUserAbortError', async () => {
    let closed = false;
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
      res.on('close', () => (closed = true));
    });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' });
    const error = await (async () => {
      for await (const event of stream) if (event.event === 'workflow_started') stream.abort();
    })().catch((e: unknown) => e);
    assert.ok(error instanceof APIUserAbortError, String(error));
    // The close reaches the server a moment later (longer on a loaded machine).
    for (let waited = 0; !closed && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.ok(closed, 'server saw the connection close');
  });

  test('a stream opened with an already-aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' }, { signal: controller.signal });
    await assert.rejects(stream.finalResult(), APIUserAbortError);
    assert.equal(server.requests.length, 0);
  });

  test('an AbortSignal aborts a blocking call', async () => {
    server.script(hang);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(dify.workflows.run({ inputs: {}, user: 'u' }, { signal: controller.signal }), APIUserAbortError);
  });

  test('no bytes for streamIdleTimeout aborts with StreamIdleTimeoutError carrying the ids', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
    });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' }, { streamIdleTimeout: 200 });
    const error = await stream.finalResult().catch((e: unknown) => e);
    assert.ok(error instanceof StreamIdleTimeoutError, String(error));
    assert.equal(error.kind, 'bytes');
    assert.equal(error.workflowRunId, RUN);
    assert.equal(error.taskId, TASK);
  });

  test('a slow consumer is not mistaken for a silent server', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
      res.write(ev('text_chunk', { text: 'a', from_variable_selector: null }));
      setTimeout(() => res.end(ev('workflow_finished', finishedRun(RUN, { total_steps: 2 }))), 20);
    });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' }, { streamIdleTimeout: 150, eventTimeout: 150 });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.event);
      await new Promise((r) => setTimeout(r, 250)); // busier than both timeouts
    }
    assert.deepEqual(seen, ['workflow_started', 'text_chunk', 'workflow_finished']);
  });

  test('pings but no events for eventTimeout aborts (dify#37197)', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
      const timer = setInterval(() => res.write('event: ping\n\n'), 40);
      res.on('close', () => clearInterval(timer));
    });
    let pings = 0;
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' }, { streamIdleTimeout: 1000, eventTimeout: 300, onPing: () => pings++ });
    const error = await stream.finalResult().catch((e: unknown) => e);
    assert.ok(error instanceof StreamIdleTimeoutError, String(error));
    assert.equal(error.kind, 'events');
    // At least one ping arrived and none counted as an event (how many depends on CPU load;
    // the deadline arithmetic is tested with a manual clock in idle-watchdog.test.ts).
    assert.ok(pings >= 1, `pings observed: ${pings}`);
  });

  test('a dropped connection mid-stream is StreamEndedError, and the POST is not re-sent', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await dify.workflows.runViaStream({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.equal((error as Error).name, 'StreamEndedError');
    assert.equal((error as { workflowRunId?: string }).workflowRunId, RUN);
    assert.equal(server.requests.length, 1);
  });

  test('events() reattaches with GET /workflow/{id}/events', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(ev('workflow_finished', finishedRun(RUN, { outputs: { a: 1 }, total_steps: 2 })));
    });
    const result = await dify.workflows.events(RUN, { user: 'u' }).finalResult();
    assert.deepEqual(result.data.outputs, { a: 1 });
    assert.equal(server.requests[0]!.url, `/v1/workflow/${RUN}/events?user=u`);
    assert.equal(server.requests[0]!.method, 'GET');
  });

  test('stream() rejected before any byte (HTTP 400) surfaces as the APIError', async () => {
    server.script((_req, res) => json(res, 400, { code: 'invalid_param', message: 'Arg user must be provided.', status: 400 }));
    const error = await dify.workflows.runViaStream({ inputs: {}, user: '' }).catch((e: unknown) => e);
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.message, 'Arg user must be provided.');
  });
});

describe('configuration', () => {
  test('apiKey and baseURL default from the environment', () => {
    const saved = { key: process.env['DIFY_API_KEY'], url: process.env['DIFY_API_BASE_URL'] };
    process.env['DIFY_API_KEY'] = 'app-from-env';
    process.env['DIFY_API_BASE_URL'] = 'http://127.0.0.1:9/v1/';
    try {
      const client = new DifyClient();
      assert.equal(client.baseURL, 'http://127.0.0.1:9/v1');
      delete process.env['DIFY_API_BASE_URL'];
      assert.equal(new DifyClient().baseURL, 'https://api.dify.ai/v1');
      delete process.env['DIFY_API_KEY'];
      assert.throws(() => new DifyClient(), /Missing API key/);
    } finally {
      if (saved.key === undefined) delete process.env['DIFY_API_KEY'];
      else process.env['DIFY_API_KEY'] = saved.key;
      if (saved.url === undefined) delete process.env['DIFY_API_BASE_URL'];
      else process.env['DIFY_API_BASE_URL'] = saved.url;
    }
  });

  test('the key does not appear when the client is logged or serialised', () => {
    const client = new DifyClient({ fetch: TEST_FETCH, apiKey: 'app-very-secret', baseURL: 'http://127.0.0.1:9/v1' });
    assert.ok(!JSON.stringify(client).includes('very-secret'));
  });

  test('defaultHeaders are sent and cannot replace Authorization', async () => {
    server.script((_req, res) => json(res, 200, { tool_icons: {} }));
    const client = new DifyClient({
      fetch: TEST_FETCH,
      apiKey: 'app-k',
      baseURL: server.baseURL,
      defaultHeaders: { 'X-Team': 'ml', Authorization: 'Bearer other' },
    });
    await client.app.meta();
    assert.equal(server.requests[0]!.headers['x-team'], 'ml');
    assert.equal(server.requests[0]!.headers['authorization'], 'Bearer app-k');
  });
});
