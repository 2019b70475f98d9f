/** `--data-dir`: runs, logs and uploads survive a restart; one server per data dir. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cliEntry, tempDir } from '../helpers/batch-harness.js';
import { startHold, startRunAndHangUp } from '../helpers/streaming-run.js';
import { runRecord } from '../helpers/run-record.js';

const TRIAGE = 'examples/workflows/review-triage.yml';
const HELD = 'test/fixtures/workflows/held-request.yml';
const auth = { Authorization: 'Bearer app-local' };

const runBlocking = async (server: RunningServer, inputs: Record<string, unknown>, user: string) =>
  (await (
    await fetch(`${server.baseURL}/workflows/run`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs, response_mode: 'blocking', user }),
    })
  ).json()) as { workflow_run_id: string; data: { status: string; outputs: Record<string, unknown> } };
const getJson = async (server: RunningServer, path: string) => {
  const response = await fetch(`${server.baseURL}${path}`, { headers: auth });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test('run detail, logs (with every filter) and uploads survive a restart', async () => {
  const dataDir = tempDir();
  let server = await startServer({ workflow: TRIAGE, port: 0, dataDir });
  const happy = await runBlocking(server, { review: 'Great, 素晴らしい', rating: 5 }, 'alice');
  const sad = await runBlocking(server, { review: 'Broken on arrival', rating: 0 }, 'bob');
  assert.equal(sad.data.status, 'failed');
  const form = new FormData();
  form.append('file', new Blob(['id,text\n1,hello\n'], { type: 'text/csv' }), 'notes.csv');
  form.append('user', 'alice');
  const uploaded = (await (await fetch(`${server.baseURL}/files/upload`, { method: 'POST', headers: auth, body: form })).json()) as { id: string };
  assert.deepEqual(readdirSync(join(dataDir, 'uploads')), [uploaded.id], 'stored under the server-chosen id, not the client filename');
  const before = await getJson(server, `/workflows/run/${happy.workflow_run_id}`);
  await server.close();

  server = await startServer({ workflow: TRIAGE, port: 0, dataDir });
  try {
    const after = await getJson(server, `/workflows/run/${happy.workflow_run_id}`);
    assert.deepEqual(after, before, 'run detail is the same after the restart');
    const logs = async (query: string) =>
      ((await getJson(server, `/workflows/logs?${query}`)).body.data as { workflow_run: { id: string } }[]).map((entry) => entry.workflow_run.id);
    assert.deepEqual(await logs(''), [sad.workflow_run_id, happy.workflow_run_id], 'newest first');
    assert.deepEqual(await logs('status=failed'), [sad.workflow_run_id]);
    assert.deepEqual(await logs('created_by_end_user_session_id=alice'), [happy.workflow_run_id]);
    assert.deepEqual(await logs(`keyword=${encodeURIComponent('素晴らしい')}`), [happy.workflow_run_id]);
    assert.deepEqual(await logs('keyword=BROKEN'), [sad.workflow_run_id], 'keyword is case-insensitive');
    assert.deepEqual(await logs(`keyword=${sad.workflow_run_id}`), [sad.workflow_run_id], 'or the exact run id');
    assert.deepEqual(await logs('limit=1&page=2'), [happy.workflow_run_id]);
    assert.equal((await getJson(server, '/workflows/logs?limit=1')).body.total, 2);
    const preview = await fetch(`${server.baseURL}/files/${uploaded.id}/preview`, { headers: auth });
    assert.equal(preview.status, 200);
    assert.equal(await preview.text(), 'id,text\n1,hello\n');
    // Same end user id for the same session after the restart.
    const again = await runBlocking(server, { review: 'Fine', rating: 3 }, 'alice');
    const detail = (await getJson(server, `/workflows/logs?created_by_end_user_session_id=alice`)).body.data as { created_by_end_user: { id: string } }[];
    assert.equal(detail.length, 2);
    assert.equal(detail[0]!.created_by_end_user.id, detail[1]!.created_by_end_user.id);
    assert.equal(again.data.status, 'succeeded');
  } finally {
    await server.close();
  }
});

test('a second server on the same data dir is refused; the lock goes with the server', async () => {
  const dataDir = tempDir();
  const first = await startServer({ workflow: TRIAGE, port: 0, dataDir });
  await assert.rejects(startServer({ workflow: TRIAGE, port: 0, dataDir }), /--data-dir .* is in use by another difyrun server \(pid \d+, this process\)/);
  await first.close();
  assert.equal(existsSync(join(dataDir, 'difyrun.lock')), false);
  const second = await startServer({ workflow: TRIAGE, port: 0, dataDir });
  await second.close();
});

test("a server killed while writing leaves SQLite's own lock behind: the next start clears it with the stale pid lock", async () => {
  const dataDir = tempDir();
  await (await startServer({ workflow: TRIAGE, port: 0, dataDir })).close();
  // What a SIGKILL in the middle of a write leaves: the pid lock of a process that is gone, and
  // node-sqlite3-wasm's lock, a directory beside the database.
  writeFileSync(join(dataDir, 'difyrun.lock'), String(spawnSync(process.execPath, ['-e', '0']).pid));
  mkdirSync(join(dataDir, 'difyrun.db.lock'));
  const server = await startServer({ workflow: TRIAGE, port: 0, dataDir });
  await server.close();
});

test('a run in progress when the server is killed is failed on the next start; the stale lock is taken over', async () => {
  const dataDir = tempDir();
  // The run waits on a request nobody answers: it is still running when the server is killed.
  const hold = await startHold();
  const args = [...cliEntry(), 'serve', '--workflow', HELD, '--port', '0', '--data-dir', dataDir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let runId: string;
  try {
    const baseURL = await printedBaseURL(child.stdout);
    runId = await startRunAndHangUp(baseURL, 'app-local', { url: hold.url }, 'killed');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the 'running' record reach the database
  } finally {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await hold.close(); // only now: answered, the run would have finished
  }
  assert.equal(readFileSync(join(dataDir, 'difyrun.lock'), 'utf8'), String(child.pid), 'the dead server left its lock');

  const server = await startServer({ workflow: HELD, port: 0, dataDir });
  try {
    const detail = await getJson(server, `/workflows/run/${runId}`);
    assert.equal(detail.body.status, 'failed');
    assert.equal(detail.body.error, 'The local server stopped while this run was running.');
  } finally {
    await server.close();
  }
});

async function printedBaseURL(stdout: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stdout) {
    out += String(chunk);
    const match = /DIFY_API_BASE_URL=(\S+)/.exec(out);
    if (match) return match[1]!;
  }
  throw new Error(`difyrun serve did not print its URL: ${out}`);
}

test('a stopped run that, as on Dify, is still recorded running stays running after a restart (not turned into a failure)', async () => {
  const { SqliteStore } = await import('../../src/server/store/sqlite.js');
  const dataDir = tempDir();
  let store = SqliteStore.open(dataDir);
  store.putRun(runRecord('stopped-run', { stoppedAtMs: 2000 }));
  store.putRun(runRecord('cut-run'));
  store.close();
  store = SqliteStore.open(dataDir);
  try {
    assert.equal(store.getRun('stopped-run')!.status, 'running');
    assert.equal(store.getRun('cut-run')!.status, 'failed');
  } finally {
    store.close();
  }
});
