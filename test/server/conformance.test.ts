/** The local server against raw HTTP (not only our SDK): research/dify-api.md §9 facts. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { startRunAndHangUp } from '../helpers/streaming-run.js';

let server: RunningServer;
const auth = { Authorization: 'Bearer app-local' };
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.baseURL}${path}`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string> = auth) => fetch(`${server.baseURL}${path}`, { headers });
const REVIEW = { review: 'Great product, fast delivery', rating: '5' };

before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, pingIntervalMs: 50 });
});
after(() => server.close());

describe('auth and envelopes', () => {
  test('401s in Dify order with WWW-Authenticate', async () => {
    for (const [headers, message] of [
      [{}, "Authorization header must be provided and start with 'Bearer'"],
      [{ Authorization: 'Basic x' }, "Authorization scheme must be 'Bearer'"],
      [{ Authorization: 'bearer wrong' }, 'Access token is invalid'],
    ] as const) {
      const res = await get('/info', headers);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
      assert.deepEqual(await res.json(), { code: 'unauthorized', message, status: 401 });
    }
    assert.equal((await get('/info', { Authorization: 'bearer app-local' })).status, 200, 'scheme is case-insensitive');
  });

  test('user is required for runs and stop; auth wins over user', async () => {
    const res = await post('/workflows/run', { inputs: REVIEW });
    assert.deepEqual(await res.json(), { code: 'invalid_param', message: 'Arg user must be provided.', status: 400 });
    const stop = await post('/workflows/tasks/x/stop', { user: '' });
    assert.equal(stop.status, 400);
    const unauth = await post('/workflows/run', { inputs: REVIEW }, { Authorization: 'Bearer nope' });
    assert.equal(unauth.status, 401);
  });

  test('bad bodies: empty, malformed, wrong content type, not an object', async () => {
    const werkzeug = { code: 'bad_request', message: 'The browser (or proxy) sent a request that this server could not understand.', status: 400 };
    assert.deepEqual(await (await post('/workflows/run', '')).json(), werkzeug);
    assert.deepEqual(await (await post('/workflows/run', '{"inputs":')).json(), werkzeug);
    assert.equal((await post('/workflows/run', 'x', { 'Content-Type': 'text/plain' })).status, 415);
    for (const body of ['[]', '"x"', 'null']) {
      const res = await post('/workflows/run', body);
      assert.equal(res.status, 500);
      assert.equal(await res.text(), '{"message":"Internal Server Error","code":"unknown","status":500}', 'key order as Dify writes it');
    }
    const missing = await (await post('/workflows/run', { user: 'u' })).json();
    assert.equal(missing.code, 'invalid_param');
    assert.match(missing.message, /^1 validation error for WorkflowRunPayload\ninputs\n {2}Field required/);
  });

  test("unknown route: Flask's HTML page; wrong method: JSON 405", async () => {
    const missing = await get('/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await missing.text(), /^<!doctype html>\n<html lang=en>\n<title>404 Not Found<\/title>/);
    const res = await get('/workflows/run');
    assert.equal(res.status, 405);
    assert.equal((await res.json()).code, 'method_not_allowed');
  });
});

describe('runs', () => {
  test('blocking run: task_id differs from run id, integer timestamps, outputs', async () => {
    const res = await post('/workflows/run', { inputs: { ...REVIEW, ignored: 'x' }, user: 'u1', response_mode: 'blocking' });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.notEqual(body.task_id, body.workflow_run_id);
    assert.equal(body.data.id, body.workflow_run_id);
    assert.equal(body.data.status, 'succeeded');
    assert.ok(Number.isInteger(body.data.created_at) && Number.isInteger(body.data.finished_at));
    assert.equal(body.data.outputs.sentiment, 'positive');
    assert.match(body.data.outputs.summary, /^\[marketing\]/);
  });

  test('validation: first failure only, Dify messages, "" passes required, numbers from strings', async () => {
    const cases: [Record<string, unknown>, string | null][] = [
      [{ rating: '5' }, 'review is required in input form'],
      [{ review: 'x', rating: 'five' }, 'rating in input form must be a valid number'],
      [{ review: 'x', rating: 1, channel: 'fax' }, "channel in input form must be one of the following: ['web', 'app', 'email']"],
      [{ review: 'x'.repeat(4001), rating: 1 }, 'review in input form must be less than 4000 characters'],
      [{ review: 5, rating: 1 }, "(type 'paragraph') review in input form must be a string"],
      [{ review: '', rating: '3.5' }, null],
    ];
    for (const [inputs, message] of cases) {
      const res = await post('/workflows/run', { inputs, user: 'v', response_mode: 'blocking' });
      if (message === null) assert.equal(res.status, 200);
      else assert.deepEqual(await res.json(), { code: 'invalid_param', message, status: 400 });
    }
  });

  test('streaming: ping with no data first, data-only frames, text_chunk, no [DONE]', async () => {
    const res = await post('/workflows/run', { inputs: REVIEW, user: 'u2', response_mode: 'streaming' });
    assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
    const text = await res.text();
    assert.ok(text.startsWith('event: ping\n\n'));
    assert.ok(!text.includes('[DONE]'));
    const frames = text
      .split('\n\n')
      .filter((f) => f.startsWith('data: '))
      .map((f) => JSON.parse(f.slice(6)));
    assert.ok(text.split('\n\n').every((f) => f === '' || f === 'event: ping' || (f.startsWith('data: ') && !f.includes('\nevent:'))));
    assert.equal(frames[0].event, 'workflow_started');
    assert.deepEqual(Object.keys(frames[0]), ['event', 'workflow_run_id', 'task_id', 'data']);
    assert.equal(frames.at(-1).event, 'workflow_finished');
    assert.ok(frames.some((f) => f.event === 'text_chunk'));
    const started = frames.filter((f) => f.event === 'node_started');
    // Dify 1.13 no longer numbers nodes: every node event has index 1 (real-dify README).
    assert.deepEqual(
      started.map((f) => f.data.index),
      started.map(() => 1),
    );
    assert.equal(started[0].data.predecessor_node_id, null);
    assert.ok(!started.some((f) => f.data.node_id === 'support'), 'the branch not taken emits nothing');
  });

  test('run detail: inputs is a JSON string with sys.*; unknown id is 404', async () => {
    const run = await (await post('/workflows/run', { inputs: { review: '日本語のレビュー', rating: 4 }, user: 'detail-user' })).json();
    const detail = await (await get(`/workflows/run/${run.workflow_run_id}`)).json();
    assert.equal(typeof detail.inputs, 'string');
    const inputs = JSON.parse(detail.inputs);
    assert.equal(inputs.review, '日本語のレビュー');
    assert.equal(inputs['sys.user_id'], 'detail-user');
    assert.equal(inputs['sys.workflow_run_id'], run.workflow_run_id);
    assert.ok(detail.inputs.includes('", "'), 'Python json.dumps separators');
    assert.equal(typeof detail.outputs, 'object');
    const missing = await get('/workflows/run/00000000-0000-4000-8000-000000000000');
    assert.deepEqual(await missing.json(), { code: 'not_found', message: 'Workflow run not found.', status: 404 });
  });

  test('stop always answers success', async () => {
    const res = await post('/workflows/tasks/not-a-task/stop', { user: 'u' });
    assert.deepEqual(await res.json(), { result: 'success' });
  });

  test('pinned workflow id: bad format 400, unknown 404, own id runs', async () => {
    assert.equal((await (await post('/workflows/abc/run', { inputs: REVIEW, user: 'u' })).json()).message, "Invalid workflow_id format: 'abc'. ");
    assert.equal((await post('/workflows/00000000-0000-4000-8000-000000000000/run', { inputs: REVIEW, user: 'u' })).status, 404);
    assert.equal((await post(`/workflows/${server.app.workflowId}/run`, { inputs: REVIEW, user: 'u' })).status, 200);
  });
});

describe('logs, parameters, files', () => {
  test('logs filter by user and status, paginate newest first', async () => {
    for (let i = 0; i < 3; i++) await post('/workflows/run', { inputs: { review: `log ${i}`, rating: 3 }, user: 'log-user' });
    const page = await (await get('/workflows/logs?created_by_end_user_session_id=log-user&limit=2&status=succeeded')).json();
    assert.equal(page.total, 3);
    assert.equal(page.has_more, true);
    assert.equal(page.data.length, 2);
    assert.equal(page.data[0].created_by_end_user.session_id, 'log-user');
    const keyword = await (await get('/workflows/logs?keyword=log%202')).json();
    assert.equal(keyword.total, 1);
    assert.equal((await get('/workflows/logs?status=running')).status, 400);
    assert.equal((await get('/workflows/logs?limit=101')).status, 400);
  });

  test('/meta and /site answer in Dify shape', async () => {
    assert.deepEqual(await (await get('/meta')).json(), { tool_icons: {} });
    const site = (await (await get('/site')).json()) as Record<string, unknown>;
    assert.equal(site.title, 'review-triage');
    for (const key of ['icon_type', 'icon', 'icon_background', 'description', 'default_language', 'show_workflow_steps']) assert.ok(key in site, key);
  });

  test("a concurrency cap answers 400 invalid_param (as Dify's APP_MAX_ACTIVE_REQUESTS does) with Dify's message", async () => {
    const capped = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { maxActiveRequests: 1, latencyMs: 300 } });
    try {
      const run = () =>
        fetch(`${capped.baseURL}/workflows/run`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify({ inputs: REVIEW, response_mode: 'blocking', user: 'u' }),
        });
      const first = run();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await run();
      assert.equal(second.status, 400);
      assert.equal(second.headers.get('retry-after'), null);
      const body = (await second.json()) as { code: string; message: string };
      assert.equal(body.code, 'invalid_param');
      assert.match(body.message, /^Too many requests\. Please try again later\. The current maximum concurrent requests allowed for [0-9a-f-]{36} is 1\.$/);
      assert.equal((await first).status, 200);
    } finally {
      await capped.close();
    }
  });

  test('/parameters in Dify shape with system_parameters', async () => {
    const params = await (await get('/parameters')).json();
    assert.deepEqual(Object.keys(params.user_input_form[0]), ['paragraph']);
    assert.equal(params.user_input_form[0].paragraph.variable, 'review');
    assert.deepEqual(params.system_parameters, {
      image_file_size_limit: 10,
      video_file_size_limit: 100,
      audio_file_size_limit: 50,
      file_size_limit: 15,
      workflow_file_upload_limit: 10,
    });
    const info = await (await get('/info')).json();
    assert.deepEqual(Object.keys(info), ['name', 'description', 'tags', 'mode', 'author_name']);
  });

  test('upload: 201, preview returns the bytes, bad filename rejected', async () => {
    const form = new FormData();
    form.append('file', new Blob(['héllo'], { type: 'text/plain' }), 'notes.txt');
    form.append('user', 'u');
    const res = await fetch(`${server.baseURL}/files/upload`, { method: 'POST', headers: auth, body: form });
    assert.equal(res.status, 201);
    const file = await res.json();
    assert.equal(file.name, 'notes.txt');
    assert.equal(file.extension, 'txt');
    const preview = await get(`/files/${file.id}/preview`);
    assert.equal(await preview.text(), 'héllo');
    const bad = new FormData();
    bad.append('file', new Blob(['x'], { type: 'text/plain' }), 'dir/b.txt');
    const rejected = await fetch(`${server.baseURL}/files/upload`, { method: 'POST', headers: auth, body: bad });
    assert.deepEqual(await rejected.json(), { code: 'invalid_param', message: 'Filename contains invalid characters', status: 400 });
    const none = await fetch(`${server.baseURL}/files/upload`, { method: 'POST', headers: auth, body: new FormData() });
    assert.equal((await none.json()).code, 'no_file_uploaded');
  });
});

describe('long streams', () => {
  let slow: RunningServer;
  before(async () => {
    // The stop test wants the stream to see its stop (test/server/stops.test.ts has the other way):
    // a 1 ms stop flag cache makes the next event after the stop end the stream, however slow the machine.
    slow = await startServer({
      workflow: 'examples/workflows/translate-stream.yml',
      port: 0,
      pingIntervalMs: 100,
      llm: { tokensPerSecond: 20 },
      stopFlagCacheMs: 1,
    });
  });
  after(() => slow.close());
  const inputs = { text: 'A sentence long enough to stream for a while', target_language: 'French' };
  const start = (user: string) =>
    fetch(`${slow.baseURL}/workflows/run`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs, response_mode: 'streaming', user }),
    });
  const startAndHangUp = (user: string) => startRunAndHangUp(slow.baseURL, slow.apiKey, inputs, user);
  const detail = async (runId: string) =>
    (await fetch(`${slow.baseURL}/workflows/run/${runId}`, { headers: auth })).json() as Promise<{ status: string; outputs: Record<string, string> }>;

  test('pings keep coming while a run streams, not only the first one', async () => {
    // Tokens come every 50 ms and pings every 100 ms of timer time. A timer that falls due
    // earlier fires earlier even on a loaded machine, so pings must show up between the
    // chunks; no count is derived from wall time.
    const text = await (await start('pinger')).text();
    const frames = text.split('\n\n');
    assert.equal(frames[0], 'event: ping');
    const firstChunk = frames.findIndex((frame) => frame.includes('"text_chunk"'));
    const lastChunk = frames.findLastIndex((frame) => frame.includes('"text_chunk"'));
    assert.ok(firstChunk > 0 && lastChunk > firstChunk);
    assert.ok(frames.slice(firstChunk, lastChunk).includes('event: ping'), 'a ping arrives while the text streams');
  });

  test('a client that hangs up does not stop its run: it finishes and shows in detail and logs', async () => {
    const runId = await startAndHangUp('hang-up');
    assert.equal((await detail(runId)).status, 'running');
    const deadline = Date.now() + 30_000;
    while ((await detail(runId)).status === 'running' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const finished = await detail(runId);
    assert.equal(finished.status, 'succeeded');
    assert.ok(finished.outputs.translation!.length > 0);
    const logs = (await (await fetch(`${slow.baseURL}/workflows/logs?created_by_end_user_session_id=hang-up`, { headers: auth })).json()) as {
      data: { workflow_run: { id: string } }[];
    };
    assert.deepEqual(
      logs.data.map((entry) => entry.workflow_run.id),
      [runId],
    );
  });

  test('stop by task id: the stream ends with workflow_finished(stopped, "Stopped by user."); like Dify, the store still says running', async () => {
    const response = await start('stopper');
    const reader = response.body!.getReader();
    let text = '';
    let stopped = false;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      text += new TextDecoder().decode(read.value);
      const task = /"task_id":"([0-9a-f-]{36})"/.exec(text);
      if (task && !stopped && text.includes('"text_chunk"')) {
        stopped = true;
        const runId = /"workflow_run_id":"([0-9a-f-]{36})"/.exec(text)![1]!;
        const running = (await (await fetch(`${slow.baseURL}/workflows/run/${runId}`, { headers: auth })).json()) as {
          status: string;
          finished_at: number | null;
        };
        assert.deepEqual([running.status, running.finished_at], ['running', null], 'finished_at is null while running');
        const stop = await fetch(`${slow.baseURL}/workflows/tasks/${task[1]}/stop`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify({ user: 'stopper' }),
        });
        assert.deepEqual(await stop.json(), { result: 'success' });
      }
    }
    const events = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => JSON.parse(frame.slice(6)) as { event: string; data: { status?: string; error?: string } });
    const workflowFinished = events.at(-1);
    // As the real server: the interrupted node gets no node_finished at all.
    const count = (name: string) => events.filter((e) => e.event === name).length;
    assert.equal(count('node_started'), count('node_finished') + 1, 'the interrupted node has no node_finished');
    assert.deepEqual(
      [workflowFinished!.event, workflowFinished!.data.status, workflowFinished!.data.error],
      ['workflow_finished', 'stopped', 'Stopped by user.'],
    );
    const runId = (events.at(-1) as unknown as { workflow_run_id: string }).workflow_run_id;
    const stored = (await detail(runId)) as unknown as { status: string; finished_at: number | null; total_steps: number };
    assert.deepEqual([stored.status, stored.finished_at, stored.total_steps], ['running', null, 0]);
    const logs = async (query: string) =>
      (await (await fetch(`${slow.baseURL}/workflows/logs?${query}`, { headers: auth })).json()) as {
        total: number;
        data: { workflow_run: { status: string } }[];
      };
    assert.equal((await logs('created_by_end_user_session_id=stopper')).data[0]!.workflow_run.status, 'running');
    assert.equal((await logs('status=stopped')).total, 0);
  });

  test('reattaching to a running run streams it to the end; to a finished run, replays it', async () => {
    const runId = await startAndHangUp('reattach');
    const events = async () =>
      (await (await fetch(`${slow.baseURL}/workflow/${runId}/events?user=reattach`, { headers: auth })).text())
        .split('\n\n')
        .filter((frame) => frame.startsWith('data: '))
        .map((frame) => JSON.parse(frame.slice(6)) as { event: string; data: { status?: string } });
    const live = await events();
    assert.equal(live.at(-1)!.event, 'workflow_finished');
    assert.equal(live.at(-1)!.data.status, 'succeeded');
    assert.ok(live.some((event) => event.event === 'text_chunk'));
    const replay = await events();
    assert.equal(replay.at(-1)!.event, 'workflow_finished');
  });
});
