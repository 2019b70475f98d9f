/**
 * `difyrun batch` against the real Dify 1.13.2 server (issue 15): CSV and JSONL, file inputs,
 * failed rows and --retry, resume after SIGKILL, Ctrl-C. Every row's runs are counted in the
 * server's own logs (by a per-test user), so "never twice" is checked against Dify itself.
 * A row Dify rejects after the ping fails fast with Dify's message; rows with files merely
 * queued are never sent twice. The per-app concurrency cap needs a second kit instance:
 * integration-cap.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { DifyClient } from '../../src/index.js';
import { readOutput, tempDir } from '../helpers/batch-harness.js';
import { buildCli, realDifyKit, spawnCli, uniqueTag, type Kit, type KitApp } from './integration-kit.js';

const kit = await realDifyKit();
const skip = typeof kit === 'string' ? kit : false;

let echo: KitApp;
let code: KitApp;
let entry: string;

function batch(app: KitApp, dir: string, args: string[]) {
  return spawnCli(entry, ['batch', ...args], { cwd: dir, env: { DIFY_API_KEY: app.apiKey, DIFY_API_BASE_URL: app.baseURL } });
}

/** Runs the server recorded for `user` (every page of its logs). */
async function serverRuns(app: KitApp, user: string): Promise<{ status: string; id: string }[]> {
  const client = new DifyClient({ apiKey: app.apiKey, baseURL: app.baseURL });
  const runs = [];
  for await (const entry of client.workflows.iterateLogs({ endUserSessionId: user, limit: 100 })) runs.push(entry.workflow_run);
  return runs;
}

/** The last record of each id in a batch output. */
function lastById(path: string): Map<string, Record<string, unknown>> {
  return new Map(readOutput(path).map((record) => [String(record['id']), record]));
}

describe('real Dify: difyrun batch', { skip }, () => {
  before(async () => {
    echo = (kit as Kit).app('difyrun-echo');
    code = (kit as Kit).app('difyrun-code');
    entry = await buildCli();
  });

  for (const mode of ['streaming', 'blocking'] as const) {
    test(`CSV in ${mode} mode: every row once, outputs as the server computed them`, async () => {
      const dir = tempDir('difyrun-it-batch-');
      const user = uniqueTag(`csv-${mode}`);
      const rows = Array.from({ length: 8 }, (_, i) => `r${i},"row ${i}, ""quoted"" 日本"`);
      writeFileSync(join(dir, 'in.csv'), `id,query\n${rows.join('\n')}\n`);
      const result = await batch(echo, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '--mode', mode, '--user', user, '-c', '4', '--json']).done;
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { succeeded: number; failed: number; duplicate_executions: number };
      assert.equal(summary.succeeded, 8);
      assert.equal(summary.failed, 0);
      const records = lastById(join(dir, 'out.jsonl'));
      assert.equal(records.size, 8);
      for (let i = 0; i < 8; i++) {
        const record = records.get(`r${i}`)!;
        assert.equal(record['status'], 'success');
        assert.deepEqual(record['outputs'], { query: `row ${i}, "quoted" 日本` });
      }
      const runs = await serverRuns(echo, user);
      assert.equal(runs.length, 8, 'the server ran each row exactly once');
      assert.deepEqual(new Set(runs.map((r) => r.id)), new Set([...records.values()].map((r) => r['workflow_run_id'])));
    });
  }

  test('JSONL with typed values and a file input (a local path, uploaded)', async () => {
    const dir = tempDir('difyrun-it-batch-');
    writeFileSync(join(dir, 'doc.txt'), 'a document\n');
    const lines = [
      { id: 'j1', inputs: { query: 'first', seconds: 0, doc: join(dir, 'doc.txt') } },
      { id: 'j2', inputs: { query: 'second', doc: join(dir, 'doc.txt') } },
      { id: 'j3', query: 'flat' },
    ];
    writeFileSync(join(dir, 'in.jsonl'), lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const result = await batch(code, dir, ['-i', 'in.jsonl', '-o', 'out.jsonl']).done;
    assert.equal(result.code, 0, result.stderr);
    const records = lastById(join(dir, 'out.jsonl'));
    assert.deepEqual(records.get('j1')!['outputs'], { greeting: 'Hello, first!', upper: 'HELLO, FIRST!', length: 13, reversed: '!TSRIF ,OLLEH' });
    assert.equal(records.get('j2')!['status'], 'success');
    assert.equal(records.get('j3')!['status'], 'success');
  });

  test('rows the workflow fails are failed rows listed in .retry; --retry runs only those', async () => {
    const dir = tempDir('difyrun-it-batch-');
    const user = uniqueTag('retry');
    writeFileSync(join(dir, 'in.csv'), 'id,query\nok1,fine\nbad1,please fail\nok2,fine too\nbad2,fail again\n');
    const first = await batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '--user', user]).done;
    assert.equal(first.code, 1, 'some rows failed');
    const records = lastById(join(dir, 'out.jsonl'));
    assert.equal(records.get('bad1')!['workflow_status'], 'failed');
    assert.match(JSON.stringify(records.get('bad1')!['error']), /asked to fail/);
    const retryFile = readFileSync(join(dir, 'out.jsonl.retry'), 'utf8');
    assert.deepEqual(retryFile.trim().split('\n').sort(), ['bad1', 'bad2']);
    assert.equal((await serverRuns(code, user)).length, 4, 'a workflow failure is not retried');

    const retried = await batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '--retry', '--user', user, '--json']).done;
    assert.equal(retried.code, 1, retried.stderr);
    const summary = JSON.parse(retried.stdout) as { rows_to_process: number; failed: number };
    assert.equal(summary.rows_to_process, 2);
    assert.equal(summary.failed, 2);
    assert.equal((await serverRuns(code, user)).length, 6, 'only the two failed ids ran again');
  });

  // Filled by the SIGKILL test, checked by the one after it.
  const afterKill = { ids: [] as string[], records: new Map<string, Record<string, unknown>>(), runs: [] as { id: string }[] };

  test('SIGKILL mid-batch (blocking), then resume: every row has a success record', async () => {
    const dir = tempDir('difyrun-it-batch-');
    const user = uniqueTag('sigkill');
    const ids = Array.from({ length: 6 }, (_, i) => `k${i}`);
    writeFileSync(join(dir, 'in.csv'), `id,query,seconds\n${ids.map((id) => `${id},${id},1`).join('\n')}\n`);
    const killed = batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '--user', user, '-c', '2', '--mode', 'blocking']);
    await waitFor(() => readOutput(join(dir, 'out.jsonl')).length >= 1, killed.done);
    killed.child.kill('SIGKILL');
    await killed.done;
    assert.ok(lastById(join(dir, 'out.jsonl')).size < ids.length, 'the kill came before the end');

    const resumed = await batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '--user', user, '-c', '2', '--mode', 'blocking', '--json']).done;
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = lastById(join(dir, 'out.jsonl'));
    assert.deepEqual([...records.keys()].sort(), ids);
    assert.ok([...records.values()].every((record) => record['status'] === 'success'));
    Object.assign(afterKill, { ids, records, runs: await serverRuns(code, user) });
  });

  test("…and each row's record is its own run, run once", () => {
    const { ids, records, runs } = afterKill;
    assert.equal(records.size, ids.length, 'the SIGKILL test ran');
    const recorded = [...records.values()].map((record) => `${String(record['id'])}→${String(record['workflow_run_id'])}`).join(' ');
    for (const [id, record] of records)
      assert.equal((record['outputs'] as { greeting?: string }).greeting, `Hello, ${id}!`, `row ${id} holds its own outputs (${recorded})`);
    assert.equal(new Set([...records.values()].map((record) => record['workflow_run_id'])).size, ids.length, `one run per row: ${recorded}`);
    assert.equal(runs.length, ids.length, `no row ran twice and none was skipped (server runs: ${runs.length})`);
  });

  test('Ctrl-C: exit 130, every output line whole, and a second run finishes the rest', async () => {
    const dir = tempDir('difyrun-it-batch-');
    const ids = Array.from({ length: 6 }, (_, i) => `c${i}`);
    writeFileSync(join(dir, 'in.csv'), `id,query,seconds\n${ids.map((id) => `${id},${id},2`).join('\n')}\n`);
    const interrupted = batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '-c', '2', '--mode', 'streaming']);
    await waitFor(() => readOutput(join(dir, 'out.jsonl')).length >= 1, interrupted.done);
    interrupted.child.kill('SIGINT');
    const outcome = await interrupted.done;
    assert.equal(outcome.code, 130, outcome.stderr);
    readOutput(join(dir, 'out.jsonl')); // throws on a torn line

    const resumed = await batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '-c', '2']).done;
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = lastById(join(dir, 'out.jsonl'));
    assert.deepEqual([...records.keys()].sort(), ids);
    assert.ok([...records.values()].every((record) => record['status'] === 'success'));
  });

  test('rows difyrun stopped on Ctrl-C are recorded as stopped', async () => {
    const dir = tempDir('difyrun-it-batch-');
    const user = uniqueTag('stopped');
    writeFileSync(join(dir, 'in.csv'), 'id,query,seconds\ns1,s1,6\ns2,s2,6\n');
    const interrupted = batch(code, dir, ['-i', 'in.csv', '-o', 'out.jsonl', '-c', '2', '--mode', 'streaming', '--user', user]);
    // Interrupted once the server lists a run going (6 s each; with one worker the second waits in
    // its queue and is stopped the moment it starts).
    await waitFor(async () => (await serverRuns(code, user)).some((run) => run.status === 'running'), interrupted.done);
    interrupted.child.kill('SIGINT');
    await interrupted.done;
    const records = lastById(join(dir, 'out.jsonl'));
    assert.equal(records.size, 2);
    // `status` stays the seed's success/failed; the run's own status says stopped (Dify itself keeps it `running`).
    for (const record of records.values()) {
      assert.equal(record['status'], 'failed');
      assert.equal(record['workflow_status'], 'stopped');
      assert.equal((record['error'] as { code?: string }).code, 'stopped');
    }
  });

  test('a row Dify rejects after the ping fails fast with its message, once', async () => {
    const dir = tempDir('difyrun-it-batch-');
    const user = uniqueTag('rejected');
    const unknownFile = { type: 'document', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' };
    writeFileSync(join(dir, 'in.jsonl'), `${JSON.stringify({ id: 'x1', inputs: { query: 'q', doc: unknownFile } })}\n`);
    const started = Date.now();
    const run = batch(code, dir, ['-i', 'in.jsonl', '-o', 'out.jsonl', '--mode', 'streaming', '--user', user, '--timeout', '20']);
    const guard = setTimeout(() => run.child.kill('SIGKILL'), 40_000);
    const result = await run.done;
    clearTimeout(guard);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(Date.now() - started < 15_000 + 5_000, `failed within 15 s (plus start-up): ${Date.now() - started} ms`);
    const record = lastById(join(dir, 'out.jsonl')).get('x1')!;
    assert.deepEqual(record['error'], { code: 'invalid_param', message: 'Invalid upload file', http_status: 400 });
    assert.equal(record['attempts'], 1, 'not retried');
    assert.equal((await serverRuns(code, user)).length, 0, 'no run at all: the probe cannot run one');
  });

  test('rows with files queued behind the one worker are never sent twice', async () => {
    const dir = tempDir('difyrun-it-batch-');
    const user = uniqueTag('queued-files');
    writeFileSync(join(dir, 'doc.txt'), 'a document\n');
    // 2 s each behind one worker: the later rows wait past the probe delay and are asked about.
    const lines = Array.from({ length: 4 }, (_, i) => JSON.stringify({ id: `q${i}`, inputs: { query: `q${i}`, seconds: 2, doc: join(dir, 'doc.txt') } }));
    writeFileSync(join(dir, 'in.jsonl'), `${lines.join('\n')}\n`);
    const result = await batch(code, dir, ['-i', 'in.jsonl', '-o', 'out.jsonl', '--mode', 'streaming', '--user', user, '-c', '4', '--json']).done;
    assert.equal(result.code, 0, result.stderr);
    const records = lastById(join(dir, 'out.jsonl'));
    assert.ok([...records.values()].every((record) => record['status'] === 'success'));
    assert.equal((await serverRuns(code, user)).length, 4, 'the server ran each row exactly once');
  });

  test('--mode auto is the default and the summary says which mode ran', async () => {
    const dir = tempDir('difyrun-it-batch-');
    writeFileSync(join(dir, 'in.csv'), 'id,query\na1,x\na2,y\n');
    const explicit = await batch(echo, dir, ['-i', 'in.csv', '-o', 'explicit.jsonl', '--mode', 'auto']).done;
    assert.equal(explicit.code, 0, explicit.stderr);
    const byDefault = await batch(echo, dir, ['-i', 'in.csv', '-o', 'default.jsonl']).done;
    assert.equal(byDefault.code, 0, byDefault.stderr);
    assert.match(byDefault.stderr, /\b(blocking|streaming)\b.*\bmode\b|\bmode\b.*\b(blocking|streaming)\b/i);
    assert.ok(existsSync(join(dir, 'default.jsonl')));
  });
});

/** Polls until `ready()` or until the process ends (then fails: it ended too soon). */
async function waitFor(ready: () => boolean | Promise<boolean>, ended: Promise<unknown>): Promise<void> {
  let over = false;
  void ended.then(() => (over = true));
  while (!(await ready())) {
    if (over) throw new Error('the batch ended before the point this test interrupts it at');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
