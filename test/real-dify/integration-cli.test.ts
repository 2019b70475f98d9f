/**
 * Every CLI command (and --json) against the real Dify 1.13.2 server (issue 15), spawned from
 * source.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../helpers/batch-harness.js';
import { buildCli, lineMatching, realDifyKit, spawnCli, uniqueTag, type Kit, type KitApp } from './integration-kit.js';

const kit = await realDifyKit();
const skip = typeof kit === 'string' ? kit : false;

let echo: KitApp;
let code: KitApp;
let work: string;
let entry: string;

/** Runs the CLI against one of the kit's apps, in a scratch directory. */
function difyrun(app: KitApp, args: string[]) {
  return spawnCli(entry, args, { cwd: work, env: { DIFY_API_KEY: app.apiKey, DIFY_API_BASE_URL: app.baseURL } });
}

async function run(app: KitApp, args: string[]) {
  return difyrun(app, args).done;
}

describe('real Dify: CLI', { skip }, () => {
  before(async () => {
    entry = await buildCli();
    echo = (kit as Kit).app('difyrun-echo');
    code = (kit as Kit).app('difyrun-code');
    work = tempDir('difyrun-it-cli-');
  });

  test('run: streams the text, --json prints every event, --blocking --json the blocking body', async () => {
    const plain = await run(echo, ['run', '--input', 'query=plain text']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /plain text/);

    const streamed = await run(code, ['run', '--input', 'query=json', '--json']);
    assert.equal(streamed.code, 0, streamed.stderr);
    const events = streamed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; data: { outputs?: unknown } });
    assert.equal(events[0]!.event, 'workflow_started');
    assert.equal(events.at(-1)!.event, 'workflow_finished');
    assert.deepEqual(events.at(-1)!.data.outputs, { greeting: 'Hello, json!', upper: 'HELLO, JSON!', length: 12, reversed: '!NOSJ ,OLLEH' });

    const blocking = await run(echo, ['run', '--input', 'query=blocking', '--blocking', '--json']);
    assert.equal(blocking.code, 0, blocking.stderr);
    const body = JSON.parse(blocking.stdout) as { data: { status: string; outputs: unknown } };
    assert.equal(body.data.status, 'succeeded');
    assert.deepEqual(body.data.outputs, { query: 'blocking' });
  });

  test('run: a missing input is exit 2 before anything is sent; a failing workflow is exit 1', async () => {
    const missing = await run(echo, ['run', '--json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /query is required/);
    const failing = await run(code, ['run', '--input', 'query=fail now', '--blocking']);
    assert.equal(failing.code, 1);
    assert.match(failing.stdout + failing.stderr, /asked to fail/);
  });

  test('run --file uploads a local file for a file input', async () => {
    const path = join(work, 'input.txt');
    writeFileSync(path, 'some text\n');
    const result = await run(code, ['run', '--input', 'query=file', '--file', `doc=${path}`, '--blocking', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { data: { status: string } }).data.status, 'succeeded');
  });

  test('status and status --json of a finished run; an unknown run', async () => {
    const made = await run(echo, ['run', '--input', 'query=for status', '--blocking', '--json']);
    const runId = (JSON.parse(made.stdout) as { workflow_run_id: string }).workflow_run_id;
    const readable = await run(echo, ['status', runId]);
    assert.equal(readable.code, 0, readable.stderr);
    assert.match(readable.stdout, /status\s+succeeded/);
    const json = JSON.parse((await run(echo, ['status', runId, '--json'])).stdout) as { status: string; outputs: unknown };
    assert.equal(json.status, 'succeeded');
    assert.deepEqual(json.outputs, { query: 'for status' });
    const unknown = await run(echo, ['status', '00000000-0000-4000-8000-000000000000']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Workflow run not found/);
  });

  test("status of a malformed run id says so, without the server's 500", async () => {
    const result = await run(echo, ['status', 'not-a-run-id']);
    assert.match(result.stderr, /"not-a-run-id" is not a workflow run id/);
    assert.doesNotMatch(result.stderr, /500|Internal Server Error/);
  });

  test('status of a malformed run id exits 2 (usage)', async () => {
    const result = await run(echo, ['status', 'not-a-run-id']);
    assert.equal(result.code, 2);
  });

  test('logs: --user, --status, --keyword, --json and --all', async () => {
    const user = uniqueTag('cli-logs');
    for (const query of [`${user} a`, `${user} b`]) {
      const made = await run(echo, ['run', '--input', `query=${query}`, '--user', user, '--blocking', '--json']);
      assert.equal(made.code, 0, made.stderr);
    }
    const table = await run(echo, ['logs', '--user', user]);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.split('\n').filter((line) => line.includes('succeeded')).length, 2);
    // --json prints one log entry per line (NDJSON).
    const entries = jsonLines((await run(echo, ['logs', '--user', user, '--json'])).stdout) as { workflow_run: { status: string } }[];
    assert.equal(entries.length, 2);
    assert.ok(entries.every((entry) => entry.workflow_run.status === 'succeeded'));
    assert.equal(jsonLines((await run(echo, ['logs', '--keyword', `${user} b`, '--json'])).stdout).length, 1);
    assert.equal(jsonLines((await run(echo, ['logs', '--user', user, '--status', 'failed', '--json'])).stdout).length, 0);
    const all = await run(echo, ['logs', '--user', user, '--all', '--limit', '1', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(jsonLines(all.stdout).length, 2, '--all walks every page');
  });

  test('stop: stops a streaming run by task id; the run then exits 1 as stopped', async () => {
    const user = uniqueTag('cli-stop');
    const running = difyrun(code, ['run', '--input', 'query=slow', '--input', 'seconds=6', '--user', user, '--json']);
    const started = JSON.parse(await lineMatching(running.child, /"workflow_started"/)) as { task_id: string };
    const stopped = await run(code, ['stop', started.task_id, '--user', user, '--json']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(JSON.parse(stopped.stdout), { result: 'success' });
    const outcome = await running.done;
    assert.equal(outcome.code, 1);
    // Dify 1.13.2 races its two stop paths (README, "stop"): a stop its graph engine sees when a
    // node finishes ends the stream failed "Aborted: User requested stop" (a stop that lands during
    // the quick template node, as a fast `difyrun stop` does); one the stream sees first during
    // the long Python node ends it stopped "Stopped by user.". Either way the run ended by the stop.
    const events = jsonLines(outcome.stdout) as { event: string; data: { status: string; error: string } }[];
    const finished = events.find((event) => event.event === 'workflow_finished');
    assert.ok(finished, outcome.stdout);
    const byStop =
      (finished.data.status === 'stopped' && finished.data.error === 'Stopped by user.') ||
      (finished.data.status === 'failed' && finished.data.error === 'Aborted: User requested stop');
    assert.ok(byStop, `the run was not ended by the stop: ${JSON.stringify(finished.data)}`);
  });

  test('run: Ctrl-C stops the run on the server and exits 130', async () => {
    const running = difyrun(code, ['run', '--input', 'query=interrupted', '--input', 'seconds=6', '--json']);
    await lineMatching(running.child, /"workflow_started"/);
    running.child.kill('SIGINT');
    const outcome = await running.done;
    assert.equal(outcome.code, 130, outcome.stderr);
  });

  test('upload and upload --json: the id and the file-input object to use', async () => {
    const path = join(work, 'レポート.txt');
    writeFileSync(path, 'report\n');
    const json = await run(code, ['upload', path, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { file: { id: string; name: string }; input: { upload_file_id: string; transfer_method: string } };
    assert.equal(parsed.file.name, 'レポート.txt');
    assert.equal(parsed.input.upload_file_id, parsed.file.id);
    assert.equal(parsed.input.transfer_method, 'local_file');
    const plain = await run(code, ['upload', path]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /[0-9a-f-]{36}/);
  });

  test('info and params, readable and --json', async () => {
    const info = await run(echo, ['info', '--json']);
    assert.equal((JSON.parse(info.stdout) as { name: string; mode: string }).mode, 'workflow');
    assert.match((await run(echo, ['info'])).stdout, /difyrun-echo/);
    const params = await run(code, ['params']);
    assert.equal(params.code, 0, params.stderr);
    assert.match(params.stdout, /query\s+text-input\s+yes/);
    assert.match(params.stdout, /seconds\s+number\s+no/);
    const paramsJson = await run(code, ['params', '--json']);
    assert.match(paramsJson.stdout, /"seconds"/);
  });

  test('init writes a CSV (and a JSONL) template from the real input form', async () => {
    const csv = await run(code, ['init', '-o', 'code.csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(readFileSync(join(work, 'code.csv'), 'utf8').split('\n')[0]!, /^id,query,seconds,doc/);
    const jsonl = await run(code, ['init', '--jsonl', '-o', 'code.jsonl']);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    assert.ok(existsSync(join(work, 'code.jsonl')));
  });

  test("a wrong API key is exit 3 with the server's message", async () => {
    const result = await run({ ...echo, apiKey: 'app-wrong-key' }, ['info']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /Access token is invalid/);
    assert.doesNotMatch(result.stderr, /app-wrong-key/);
  });
});

function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
