/** Recovery on its own: following a run to its end and finding an attempt in the logs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DifyClient } from '../../src/client/client.js';
import { recoverRun } from '../../src/batch/execute/recover.js';

type Answer = { status: number; body: unknown };

/** A client whose every call is answered by `route(path)`; the calls are kept in order. */
function fakeClient(route: (path: string) => Answer) {
  const calls: string[] = [];
  const client = new DifyClient({
    apiKey: 'app-test',
    baseURL: 'http://dify.test/v1',
    maxRetries: 0,
    fetch: async (input) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const path = `${url.pathname.replace('/v1', '')}${url.search}`;
      calls.push(path);
      const { status, body } = route(path);
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    },
  });
  return { client, calls };
}

const detail = (id: string, status: string) => ({
  id,
  workflow_id: 'wf',
  status,
  inputs: '{}',
  outputs: status === 'running' ? null : { text: 'done' },
  error: null,
  elapsed_time: 0.5,
  total_tokens: 0,
  total_steps: 2,
  created_at: 100,
  finished_at: status === 'running' ? null : 101,
});
const notFound = { status: 404, body: { code: 'not_found', message: 'not here', status: 404 } };
const options = (client: DifyClient, waitMs: number) => ({ client, waitMs, streamIdleTimeoutMs: 1000, signal: new AbortController().signal });

test('a known run: reattach fails (older Dify), run detail is polled until the run leaves "running"', async () => {
  let polls = 0;
  const { client, calls } = fakeClient((path) => {
    if (path.startsWith('/workflow/')) return notFound;
    return { status: 200, body: detail('11111111-1111-4111-8111-111111111111', ++polls < 3 ? 'running' : 'succeeded') };
  });
  const recovered = await recoverRun({ user: 'u', since: 0, runId: '11111111-1111-4111-8111-111111111111', knownRunIds: [] }, options(client, 10_000));
  assert.equal(recovered.kind, 'found');
  assert.equal(recovered.kind === 'found' && recovered.result.data.status, 'succeeded');
  assert.deepEqual(recovered.kind === 'found' && recovered.result.data.outputs, { text: 'done' });
  assert.equal(calls.filter((path) => path === '/workflows/run/11111111-1111-4111-8111-111111111111').length, 3);
});

test('a run the server never finishes is polled only until the wait runs out, and reported as still running', async () => {
  const { client, calls } = fakeClient((path) =>
    path.startsWith('/workflow/') ? notFound : { status: 200, body: detail('11111111-1111-4111-8111-111111111111', 'running') },
  );
  const recovered = await recoverRun({ user: 'u', since: 0, runId: '11111111-1111-4111-8111-111111111111', knownRunIds: [] }, options(client, 300));
  assert.equal(recovered.kind, 'running', 'not "absent": a run that exists must not be sent again');
  assert.ok(calls.length < 10, `${calls.length} calls`);
});

test('a run difyrun asked to stop that Dify still calls running is taken as stopped (Dify never records stops)', async () => {
  const { client, calls } = fakeClient(() => ({ status: 200, body: detail('11111111-1111-4111-8111-111111111111', 'running') }));
  const recovered = await recoverRun(
    { user: 'u', since: 0, runId: '11111111-1111-4111-8111-111111111111', knownRunIds: [], stopRequested: true },
    options(client, 60_000),
  );
  assert.equal(recovered.kind === 'found' && recovered.result.data.status, 'stopped');
  assert.deepEqual(calls, ['/workflows/run/11111111-1111-4111-8111-111111111111'], 'one look, no reattach, no waiting');
});

test('a run the server does not know (404) is not there: undefined at once', async () => {
  const { client } = fakeClient(() => notFound);
  assert.deepEqual(await recoverRun({ user: 'u', since: 0, runId: '22222222-2222-4222-8222-222222222222', knownRunIds: [] }, options(client, 60_000)), {
    kind: 'absent',
  });
});

test('without a run id the logs are searched by user; earlier attempts and older runs are not this attempt', async () => {
  const since = 200_000;
  const entry = (id: string, createdAt: number) => ({ id: `log-${id}`, workflow_run: { ...detail(id, 'succeeded'), created_at: createdAt } });
  const { client, calls } = fakeClient((path) => {
    if (path.startsWith('/workflows/logs')) {
      return {
        status: 200,
        body: {
          page: 1,
          limit: 100,
          total: 4,
          has_more: false,
          data: [
            entry('0a0a0a0a-0000-4000-8000-000000000001', 100),
            entry('0a0a0a0a-0000-4000-8000-000000000002', 200),
            entry('0a0a0a0a-0000-4000-8000-000000000003', 202),
            entry('0a0a0a0a-0000-4000-8000-000000000004', 201),
          ],
        },
      };
    }
    return { status: 200, body: detail(path.split('/').pop()!, 'succeeded') };
  });
  const recovered = await recoverRun({ user: 'difyrun-r1', since, knownRunIds: ['0a0a0a0a-0000-4000-8000-000000000002'] }, options(client, 0));
  assert.equal(recovered.kind === 'found' && recovered.result.workflow_run_id, '0a0a0a0a-0000-4000-8000-000000000004', 'the earliest run of this attempt');
  assert.equal(recovered.kind === 'found' && recovered.extraRuns, 1, 'the later one is a duplicate');
  assert.match(calls[0]!, /end_user_session_id=difyrun-r1/);
});

test('nothing in the logs: looked up again until the wait runs out, then undefined', async () => {
  const { client, calls } = fakeClient(() => ({ status: 200, body: { page: 1, limit: 100, total: 0, has_more: false, data: [] } }));
  assert.deepEqual(await recoverRun({ user: 'u', since: Date.now(), knownRunIds: [] }, options(client, 600)), { kind: 'absent' });
  assert.ok(calls.length >= 2 && calls.length < 8, `${calls.length} lookups`);
});

test('a run found in the logs while still running (Dify lists runs from their start) is followed to its end', async () => {
  const since = 200_000;
  let polls = 0;
  const { client } = fakeClient((path) => {
    if (path.startsWith('/workflows/logs')) {
      return {
        status: 200,
        body: {
          page: 1,
          limit: 100,
          total: 1,
          has_more: false,
          data: [{ id: 'log-1', workflow_run: { ...detail('77777777-7777-4777-8777-777777777777', 'running'), created_at: 201 } }],
        },
      };
    }
    if (path.startsWith('/workflow/')) return notFound;
    return { status: 200, body: detail('77777777-7777-4777-8777-777777777777', ++polls < 3 ? 'running' : 'succeeded') };
  });
  const recovered = await recoverRun({ user: 'u', since, knownRunIds: [] }, options(client, 10_000));
  assert.equal(recovered.kind === 'found' && recovered.result.data.status, 'succeeded', JSON.stringify(recovered));
});

test("a fixed --user shared by every row: the logs lookup takes only a run given this row's values", async () => {
  // Seen against real Dify: with `--user` fixed, two rows recovered after a SIGKILL took the same run.
  const runA = '22222222-2222-4222-8222-222222222222';
  const runB = '33333333-3333-4333-8333-333333333333';
  const listed = (id: string) => ({ workflow_run: { id, status: 'succeeded', created_at: 100 } });
  const { client } = fakeClient((path) => {
    if (path.startsWith('/workflows/logs'))
      return { status: 200, body: { page: 1, limit: 100, total: 2, has_more: false, data: [listed(runA), listed(runB)] } };
    const id = path.split('/').pop()!;
    return {
      status: 200,
      body: { ...detail(id, 'succeeded'), inputs: JSON.stringify({ query: id === runA ? 'k0' : 'k1', seconds: 1, 'sys.user_id': 'shared' }) },
    };
  });
  const target = { user: 'shared', since: 100_000, knownRunIds: [] };
  const k1 = await recoverRun({ ...target, inputs: { id: 'k1', query: 'k1', seconds: '1' } }, options(client, 1000));
  assert.equal(k1.kind === 'found' && k1.result.workflow_run_id, runB);
  assert.equal(k1.kind === 'found' && k1.extraRuns, 0, "the other row's run is not counted as a duplicate");
  const k2 = await recoverRun({ ...target, inputs: { id: 'k2', query: 'k2', seconds: '1' } }, options(client, 300));
  assert.equal(k2.kind, 'absent', 'no run was given these values');
});
