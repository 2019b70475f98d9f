/**
 * The local server is faithful to the real Dify 1.13.2 by default, including the flaws
 * clients must survive, and `flaws: false` turns those flaws into plain errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';

const auth = { Authorization: 'Bearer app-local' };
const REVIEW = { review: 'Great product', rating: '5' };
let faithful: RunningServer;
let plain: RunningServer;

const call = (server: RunningServer, path: string, init: RequestInit = {}) =>
  fetch(`${server.baseURL}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
const postJson = (server: RunningServer, path: string, body: unknown) =>
  call(server, path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const dataFrames = (text: string) =>
  text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => JSON.parse(f.slice(6)) as { event: string; [key: string]: unknown });

async function upload(server: RunningServer, name: string, content = 'hello', type = 'text/plain'): Promise<{ id: string; name: string }> {
  const form = new FormData();
  form.append('file', new Blob([content], { type }), name);
  form.append('user', 'u');
  const res = await call(server, '/files/upload', { method: 'POST', body: form });
  assert.equal(res.status, 201);
  return (await res.json()) as { id: string; name: string };
}

before(async () => {
  faithful = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, rejectedStreamMs: 300 });
  plain = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, flaws: false });
});
after(async () => {
  await faithful.close();
  await plain.close();
});

describe('flaws reproduced by default', () => {
  test('a streaming run with invalid inputs: 200, one ping, then silence until the idle timeout', async () => {
    const res = await postJson(faithful, '/workflows/run', { inputs: {}, user: 'u', response_mode: 'streaming' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'event: ping\n\n', 'no error event, no further ping');
    assert.equal(faithful.executedRuns, 0);
  });

  test('a run id that is not a UUID is a 500', async () => {
    const res = await call(faithful, '/workflows/run/not-a-uuid');
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { message: 'Internal Server Error', code: 'unknown', status: 500 });
  });
});

describe('flaws: false', () => {
  test('a streaming run with invalid inputs gets one error event', async () => {
    const res = await postJson(plain, '/workflows/run', { inputs: {}, user: 'u', response_mode: 'streaming' });
    const frames = dataFrames(await res.text());
    assert.deepEqual(frames, [{ event: 'error', workflow_run_id: null, code: 'invalid_param', message: 'review is required in input form', status: 400 }]);
  });

  test('JSON 404s instead of the 500 and the HTML page; a JSON array body is a 400', async () => {
    assert.deepEqual(await (await call(plain, '/workflows/run/not-a-uuid')).json(), { code: 'not_found', message: 'Workflow run not found.', status: 404 });
    const page = await call(plain, '/nope');
    assert.equal(page.headers.get('content-type'), 'application/json');
    assert.equal((await page.json()).code, 'not_found');
    const array = await call(plain, '/workflows/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    assert.equal(array.status, 400);
  });
});

describe('file inputs', () => {
  let files: RunningServer;
  before(async () => {
    files = await startServer({ workflow: 'test/fixtures/workflows/file-input.yml', port: 0, rejectedStreamMs: 200 });
  });
  after(() => files.close());
  const run = (doc: unknown, mode = 'blocking') => postJson(files, '/workflows/run', { inputs: { doc }, user: 'u', response_mode: mode });

  test("an unknown upload_file_id: blocking 400 'Invalid upload file', streaming silent", async () => {
    const doc = { type: 'document', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' };
    assert.deepEqual(await (await run(doc)).json(), { code: 'invalid_param', message: 'Invalid upload file', status: 400 });
    assert.equal(await (await run(doc, 'streaming')).text(), 'event: ping\n\n');
  });

  test('the stated type must be the detected one; malformed mappings get Dify messages', async () => {
    const { id } = await upload(files, 'notes.txt');
    const cases: [unknown, string][] = [
      [{ type: 'image', transfer_method: 'local_file', upload_file_id: id }, 'Detected file type does not match the specified type. Please verify the file.'],
      [{ type: 'document', transfer_method: 'local_file', upload_file_id: 'abc' }, 'Invalid upload file id format'],
      [{ type: 'document', transfer_method: 'local_file' }, 'Invalid upload file id'],
      [{ type: 'document' }, 'transfer_method is required in file mapping'],
      [{ type: 'document', transfer_method: 'bogus' }, "No matching enum found for value 'bogus'"],
    ];
    for (const [doc, message] of cases) assert.deepEqual(await (await run(doc)).json(), { code: 'invalid_param', message, status: 400 }, message);
  });

  test('a known upload runs; the node sees the file by its name', async () => {
    const { id } = await upload(files, 'notes.txt');
    const body = await (await run({ type: 'document', transfer_method: 'local_file', upload_file_id: id })).json();
    assert.equal(body.data.status, 'succeeded', JSON.stringify(body));
    assert.equal(body.data.outputs.name, 'notes.txt');
  });
});

describe('HTTP details', () => {
  test('CORS on every API response; OPTIONS preflights succeed', async () => {
    const info = await call(faithful, '/info', { headers: { Origin: 'http://app.test' } });
    assert.equal(info.headers.get('access-control-allow-origin'), 'http://app.test');
    assert.equal(info.headers.get('vary'), 'Origin, Cookie');
    assert.equal((await call(faithful, '/info')).headers.get('access-control-allow-origin'), '*');
    const preflight = await fetch(`${faithful.baseURL}/workflows/run`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type, x-other' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.test');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'authorization, content-type');
    assert.match(preflight.headers.get('access-control-allow-methods')!, /POST/);
    assert.equal(preflight.headers.get('allow'), 'OPTIONS, POST');
    assert.equal(preflight.headers.get('x-version'), '1.13.2');
  });

  test('a UTF-8 upload name comes back as sent', async () => {
    assert.equal((await upload(faithful, 'レポート.txt')).name, 'レポート.txt');
  });

  test('node events carry the fields the real server sends: extras and agent_strategy on node_started only', async () => {
    // Measured on the kit's Dify 1.13.2 (the differential suite compares the values too).
    const started = 'agent_strategy created_at extras id index inputs inputs_truncated iteration_id loop_id node_id node_type predecessor_node_id title';
    const finished =
      'created_at elapsed_time error execution_metadata files finished_at id index inputs inputs_truncated iteration_id loop_id node_id node_type outputs outputs_truncated predecessor_node_id process_data process_data_truncated status title';
    const res = await postJson(faithful, '/workflows/run', { inputs: REVIEW, user: 'u', response_mode: 'streaming' });
    const nodeEvents = dataFrames(await res.text()).filter((frame) => frame.event === 'node_started' || frame.event === 'node_finished');
    assert.ok(nodeEvents.length >= 4);
    for (const frame of nodeEvents) {
      const keys = Object.keys(frame['data'] as object)
        .sort()
        .join(' ');
      assert.equal(keys, frame.event === 'node_started' ? started : finished, frame.event);
    }
  });

  test('log items carry details: null', async () => {
    await postJson(faithful, '/workflows/run', { inputs: REVIEW, user: 'logger' });
    const logs = await (await call(faithful, '/workflows/logs?created_by_end_user_session_id=logger')).json();
    assert.equal(logs.data[0].details, null);
    assert.equal(logs.data[0].created_by_end_user.type, 'service-api');
  });
});
