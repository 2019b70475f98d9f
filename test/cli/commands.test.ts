/** Each single-operation command against the local server: output, --json shape, exit codes, errors. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cli, tempDir } from '../helpers/batch-harness.js';
import { startHold, startRunAndHangUp } from '../helpers/streaming-run.js';

let server: RunningServer;
let env: Record<string, string>;
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
  env = { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL };
});
after(() => server.close());
const run = (args: string[], extraEnv: Record<string, string> = {}) => cli(args, { env: { ...env, ...extraEnv } }).done;

describe('difyrun run', () => {
  test('coerces --input by declared type, prints outputs, node progress on stderr, exit 0', async () => {
    const result = await run(['run', '--input', 'review=Great, fast delivery', '--input', 'rating=5']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).sentiment, 'positive');
    assert.match(result.stderr, /✓ Score sentiment succeeded/);
    assert.match(result.stderr, /succeeded in [\d.]+ s · 0 tokens · 6 steps · run [0-9a-f-]{36}/);
  });

  test('--json prints every event as one JSON line', async () => {
    const result = await run(['run', '--inputs-json', '{"review": "Broken", "rating": 1}', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string });
    assert.equal(events[0]!.event, 'workflow_started');
    assert.equal(events.at(-1)!.event, 'workflow_finished');
    assert.ok(events.some((event) => event.event === 'node_finished'));
  });

  test('a failed run exits 1; a missing input lists the inputs, exit 2; --blocking works', async () => {
    const failed = await run(['run', '--input', 'review=x', '--input', 'rating=0']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed in .* — .*rating must be between 1 and 5/);
    const missing = await run(['run', '--input', 'review=x']);
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr.trim(),
      "difyrun run: rating is required in input form. This workflow's inputs: review (paragraph, required), rating (number, required), channel (select: web|app|email)",
    );
    const blocking = await run(['run', '--blocking', '--input', 'review=Love it', '--input', 'rating=4', '--input', 'channel=app']);
    assert.equal(blocking.code, 0, blocking.stderr);
    assert.match(JSON.parse(blocking.stdout).summary, /from app/);
  });
});

describe('status, logs, stop, upload, info, params, init', () => {
  test('status shows a run (readable and --json); logs lists it', async () => {
    const started = await run(['run', '--input', 'review=Status check', '--input', 'rating=3', '--user', 'status-user', '--json']);
    const runId = (JSON.parse(started.stdout.split('\n')[0]!) as { workflow_run_id: string }).workflow_run_id;
    const readable = await run(['status', runId]);
    assert.equal(readable.code, 0);
    assert.match(readable.stdout, new RegExp(`run +${runId}\\nstatus +succeeded`));
    assert.match(readable.stdout, /inputs +\{"review":"Status check","rating":3,"channel":"web"\}/);
    const json = JSON.parse((await run(['status', runId, '--json'])).stdout) as { status: string; outputs: { sentiment: string } };
    assert.equal(json.status, 'succeeded');
    assert.equal(typeof json.outputs.sentiment, 'string');
    const logs = await run(['logs', '--user', 'status-user']);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /^TIME +RUN ID +STATUS +ELAPSED +TOKENS +USER\n/);
    assert.match(logs.stdout, new RegExp(`${runId} +succeeded .* status-user`));
    const bad = await run(['logs', '--status', 'running']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--status must be succeeded, failed or stopped/);
    const missing = await run(['status', '00000000-0000-4000-8000-000000000000']);
    assert.equal(missing.code, 2, 'an unknown id is bad input, not a failed run');
    assert.match(missing.stderr, /difyrun status: Not found at .*Workflow run not found/);
  });

  test('stop, upload, info, params', async () => {
    const stop = await run(['stop', 'some-task', '--user', 'u']);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, /Stop requested for task some-task/);
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const upload = await run(['upload', join(dir, 'notes.txt'), '--json']);
    assert.equal(upload.code, 0, upload.stderr);
    const uploaded = JSON.parse(upload.stdout) as { file: { id: string; name: string }; input: unknown };
    assert.equal(uploaded.file.name, 'notes.txt');
    assert.deepEqual(uploaded.input, { type: 'document', transfer_method: 'local_file', upload_file_id: uploaded.file.id });
    assert.match((await run(['info'])).stdout, /^review-triage \(workflow\)\n/);
    const params = await run(['params']);
    assert.match(params.stdout, /channel +select +no +options: web \| app \| email; default "web"/);
  });

  test('init writes a CSV template that difyrun batch accepts (--dry-run)', async () => {
    const dir = tempDir();
    const template = join(dir, 'template.csv');
    const init = await run(['init', '-o', template]);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(readFileSync(template, 'utf8').split('\n')[0], 'id,review,rating,channel');
    const again = await run(['init', '-o', template]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists \(use --force to overwrite\)/);
    const dry = await run(['batch', '-i', template, '-o', join(dir, 'out.jsonl'), '--dry-run']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /1 valid, 0 invalid/);
  });
});

describe('long runs and many runs', () => {
  test('status --watch follows a running run until it finishes', async () => {
    // The run waits on a request this test answers only once the watcher has reported it
    // running, so the check does not depend on how fast the CLI starts on a loaded machine.
    const hold = await startHold();
    const held = await startServer({ workflow: 'test/fixtures/workflows/held-request.yml', port: 0 });
    try {
      // Start a streaming run over raw HTTP and walk away after the first event: the run goes on.
      const runId = await startRunAndHangUp(held.baseURL, held.apiKey, { url: hold.url }, 'watcher');
      const watcher = cli(['status', runId, '--watch'], { env: { DIFY_API_KEY: held.apiKey, DIFY_API_BASE_URL: held.baseURL } });
      let progress = '';
      await new Promise<void>((resolve) => {
        watcher.child.stderr!.on('data', (chunk: Buffer) => (progress += chunk.toString()) && /running…/.test(progress) && resolve());
        void watcher.done.then(() => resolve()); // it ended without: the assertions below say how
      });
      hold.release('Bonjour (French)');
      const watched = await watcher.done;
      assert.equal(watched.code, 0, watched.stderr);
      assert.match(watched.stderr, /running… \d+ steps so far/);
      assert.match(watched.stdout, /status +succeeded/);
      assert.match(watched.stdout, /French/);
    } finally {
      await held.close();
      await hold.close();
    }
  });

  test('logs pages: the first page says how many more; --all fetches every page', async () => {
    const post = (i: number) =>
      fetch(`${server.baseURL}/workflows/run`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: { review: `Paged ${i}`, rating: 3 }, response_mode: 'blocking', user: 'pager' }),
      }).then((response) => response.json());
    await Promise.all(Array.from({ length: 23 }, (_, i) => post(i)));
    const first = await run(['logs', '--user', 'pager', '--limit', '10', '--json']);
    assert.equal(first.stdout.trim().split('\n').length, 10);
    assert.match(first.stderr, /10 of 23 runs \(--all for every page\)/);
    const all = await run(['logs', '--user', 'pager', '--limit', '10', '--all', '--json']);
    const ids = all.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { workflow_run: { id: string } }).workflow_run.id);
    assert.equal(new Set(ids).size, 23, 'every run once across three pages');
    const table = await run(['logs', '--user', 'pager', '--limit', '10', '--all']);
    assert.equal(table.stdout.trim().split('\n').length, 1 + 23);
  });
});

describe('app and plan errors', () => {
  test('an unpublished app and an exhausted quota: one line each, exit 3', async () => {
    const unpublished = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { unpublishAfterRuns: 0 } });
    const quota = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { quotaRuns: 0 } });
    try {
      const args = ['run', '--input', 'review=x', '--input', 'rating=3'];
      const a = await cli(args, { env: { DIFY_API_KEY: unpublished.apiKey, DIFY_API_BASE_URL: unpublished.baseURL } }).done;
      assert.equal(a.code, 3);
      assert.equal(
        a.stderr.trim(),
        'difyrun run: The workflow app is not published (App unavailable, please check your app configurations.) — publish it in Dify, then try again',
      );
      const q = await cli(args, { env: { DIFY_API_KEY: quota.apiKey, DIFY_API_BASE_URL: quota.baseURL } }).done;
      assert.equal(q.code, 3);
      assert.match(
        q.stderr.trim(),
        /^difyrun run: The Dify plan's quota is exhausted \(Workflow execution quota limit reached for tenant [\w-]+\) — wait for it to reset or upgrade the plan$/,
      );
    } finally {
      await Promise.all([unpublished.close(), quota.close()]);
    }
  });
});

describe('errors and global behaviour', () => {
  test('a rejected key is one line and exit 3; no key at all is exit 2; --api-key warns', async () => {
    const rejected = await run(['info'], { DIFY_API_KEY: 'app-nope' });
    assert.equal(rejected.code, 3);
    assert.equal(rejected.stderr.trim(), `difyrun info: The API key was rejected by ${server.baseURL} (Access token is invalid) — check DIFY_API_KEY`);
    const none = await cli(['info'], { env: {} }).done;
    assert.equal(none.code, 2);
    assert.match(none.stderr, /No API key: set DIFY_API_KEY/);
    const flagged = await run(['info', '--api-key', server.apiKey]);
    assert.equal(flagged.code, 0);
    assert.match(flagged.stderr, /--api-key is visible to other users/);
    assert.ok(!flagged.stderr.includes(server.apiKey));
  });

  test('unreachable server, unknown command and flag suggestions', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const down = await run(['info'], { DIFY_API_BASE_URL: `http://127.0.0.1:${port}/v1` });
    assert.equal(down.code, 4, 'could not reach the server: not "some rows failed"');
    assert.equal(
      down.stderr.trim(),
      `difyrun info: Cannot reach http://127.0.0.1:${port}/v1 (ECONNREFUSED) — check DIFY_API_BASE_URL and that the server is running`,
    );
    const typo = await run(['stauts']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Did you mean status\?/);
    const flag = await run(['logs', '--limt', '3']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Did you mean --limit\?/);
  });

  test('--debug adds the stack trace; without it the error is one line', async () => {
    const plain = await run(['status', '00000000-0000-4000-8000-000000000000']);
    assert.equal(plain.stderr.trim().split('\n').length, 1);
    const debug = await run(['status', '00000000-0000-4000-8000-000000000000', '--debug']);
    assert.equal(debug.code, 2);
    assert.match(debug.stderr, /^difyrun status: Not found/);
    assert.match(debug.stderr, /NotFoundError: Workflow run not found\.\n\s+at /);
  });

  test('Ctrl-C during a streaming run stops it on the server and exits 130', async () => {
    // The run waits on a request nobody answers; Ctrl-C comes once the CLI shows the run started.
    const hold = await startHold();
    const slow = await startServer({ workflow: 'test/fixtures/workflows/held-request.yml', port: 0 });
    try {
      const child = cli(['run', '--input', `url=${hold.url}`], { env: { DIFY_API_KEY: slow.apiKey, DIFY_API_BASE_URL: slow.baseURL } });
      let progress = '';
      await new Promise<void>((resolve) => {
        child.child.stderr!.on('data', (chunk: Buffer) => (progress += chunk.toString()) && /✓ Start succeeded/.test(progress) && resolve());
        void child.done.then(() => resolve());
      });
      child.child.kill('SIGINT');
      const result = await child.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /Stopping the run on the server/);
      assert.match(result.stderr, /stopped in .* — Stopped by user\./);
      assert.equal(slow.activeRuns, 0);
    } finally {
      await slow.close();
      await hold.close();
    }
  });
});
