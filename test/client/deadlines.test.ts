/**
 * Issue 15, the SDK's part: a malformed run id fails locally, every wait is bounded by the
 * configured timeout, and "ping then silence" (real Dify rejecting a streaming run's inputs)
 * is visible and caught by a start deadline.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DifyClient, InvalidRunIdError, StreamIdleTimeoutError } from '../../src/index.js';
import { finishedRun, json, startScriptServer, type ScriptServer } from '../helpers/script-server.js';

const RUN = '6f1c2a3b-0000-4000-8000-00000000000a';
const TASK = '6f1c2a3b-0000-4000-8000-00000000000b';
const ev = (event: string, data: object) => `data: ${JSON.stringify({ event, workflow_run_id: RUN, task_id: TASK, data })}\n\n`;

let server: ScriptServer;
before(async () => {
  server = await startScriptServer();
});
after(() => server.close());
beforeEach(() => server.clear());

/** What real Dify does with a streaming run whose inputs it rejects: 200, one ping, then nothing. */
function pingThenSilence(_req: unknown, res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('event: ping\n\n');
}

describe('malformed run ids', () => {
  test('get() and events() reject a non-UUID run id locally, without a request', async () => {
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL });
    const error = await dify.workflows.get('not-a-run-id').catch((e: unknown) => e);
    assert.ok(error instanceof InvalidRunIdError, String(error));
    assert.equal(error.runId, 'not-a-run-id');
    assert.match(error.message, /"not-a-run-id" is not a workflow run id/);
    assert.throws(() => dify.workflows.events('12345', { user: 'u' }), InvalidRunIdError);
    assert.equal(server.requests.length, 0, 'nothing was sent (the real server would answer 500)');
  });

  test('UUIDs in the forms PostgreSQL accepts are sent', async () => {
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 });
    for (const id of [RUN, RUN.toUpperCase(), RUN.replace(/-/g, '')]) {
      server.script((_req, res) => json(res, 404, { code: 'not_found', message: 'Workflow run not found.', status: 404 }));
      await assert.rejects(dify.workflows.get(id), { name: 'NotFoundError' });
    }
    assert.equal(server.requests.length, 3);
  });
});

describe('ping then silence', () => {
  test('a start deadline ends the stream with kind "start"; the ping is on record, the start is not', async () => {
    server.script(pingThenSilence);
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' }, { startTimeout: 200 });
    const error = await stream.finalResult().catch((e: unknown) => e);
    assert.ok(error instanceof StreamIdleTimeoutError, String(error));
    assert.equal(error.kind, 'start');
    assert.equal(error.timeoutMs, 200);
    assert.match(error.message, /did not start within 200 ms/);
    assert.equal(stream.pingCount, 1);
    assert.equal(typeof stream.openedAt, 'number');
    assert.ok(stream.firstPingAt! >= stream.openedAt!);
    assert.equal(stream.started, false);
    assert.equal(stream.startedAt, undefined);
  });

  test('a run that starts is not held to the start deadline, and says when it started', async () => {
    server.script((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ping\n\n');
      res.write(ev('workflow_started', { id: RUN, workflow_id: 'w', inputs: {}, created_at: 1 }));
      setTimeout(() => res.end(ev('workflow_finished', finishedRun(RUN))), 300);
    });
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u' }, { startTimeout: 100 });
    const result = await stream.finalResult();
    assert.equal(result.data.status, 'succeeded');
    assert.equal(stream.started, true);
    assert.ok(stream.startedAt! >= stream.firstPingAt!);
  });

  // The timeouts below also bound the wait for the response headers: 300 ms was too short for
  // them on a machine at load 20 (APITimeoutError), so they are seconds, still far below 60 s.
  test('the client timeout caps the stream deadlines (a 60 s idle default does not outlast timeout: 2000)', async () => {
    server.script(pingThenSilence);
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL, timeout: 2000 });
    const error = await dify.workflows.runViaStream({ inputs: {}, user: 'u' }).catch((e: unknown) => e);
    assert.ok(error instanceof StreamIdleTimeoutError, String(error));
    assert.equal(error.timeoutMs, 2000);
  });

  test('a per-call timeout caps them too', async () => {
    server.script(pingThenSilence);
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL });
    const error = await dify.workflows
      .runViaStream({ inputs: {}, user: 'u' }, { timeout: 1500, streamIdleTimeout: 60_000, eventTimeout: 60_000 })
      .catch((e: unknown) => e);
    assert.ok(error instanceof StreamIdleTimeoutError, String(error));
    assert.equal(error.timeoutMs, 1500);
  });
});

describe('retry backoff', { timeout: 20_000 }, () => {
  test('a Retry-After longer than the timeout is not waited out in full', async () => {
    server.script(
      (_req, res) => json(res, 503, { code: 'unavailable', message: 'busy', status: 503 }, { 'retry-after': '60' }),
      (_req, res) => json(res, 200, { tool_icons: {} }),
    );
    const dify = new DifyClient({ apiKey: 'k', baseURL: server.baseURL, timeout: 500, maxRetries: 1 });
    assert.deepEqual(await dify.app.meta(), { tool_icons: {} });
    assert.equal(server.requests.length, 2);
  });
});
