/** `difyrun batch` as users run it: seed compatibility, .env, pre-flight, dry run, stops, Ctrl-C. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cli, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';

const SEED_CSV = 'id,user_name,query,language\nreq001,Alice,What is AI?,English\nreq002,Bob,AIとは何ですか,Japanese\nreq003,Charlie,Explain machine learning,English\n';

let seed: RunningServer;
before(async () => {
  seed = await startServer({ workflow: 'test/fixtures/workflows/seed-echo.yml', port: 0 });
});
after(() => seed.close());

describe('seed 001 compatibility', () => {
  test('the seed README commands work with settings from .env, and every output line parses', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), SEED_CSV);
    writeFileSync(join(dir, '.env'), `DIFY_API_KEY=${seed.apiKey}\nDIFY_API_BASE_URL=${seed.baseURL}\nMAX_RETRIES=3\nINITIAL_RETRY_DELAY=1\nMAX_RETRY_DELAY=60\nTIMEOUT=300\n`);
    const first = await cli(['batch', '--input', 'data.csv', '--output', 'results.jsonl', '--wait', '0.05'], { cwd: dir }).done;
    assert.equal(first.code, 0, first.stderr);
    const text = readFileSync(join(dir, 'results.jsonl'), 'utf8');
    assert.ok(!text.startsWith('\uFEFF'), 'no BOM by default');
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    const alice = lines.find((line) => line.id === 'req001')!;
    assert.deepEqual(alice.inputs, { id: 'req001', user_name: 'Alice', query: 'What is AI?', language: 'English' });
    assert.deepEqual(alice.outputs, { result: 'Alice asked (English): What is AI?' });
    assert.equal(alice.status, 'success');
    assert.equal(alice.retry_count, 0);
    assert.match(String(alice.workflow_run_id), /^[0-9a-f-]{36}$/);
    assert.match(String(alice.executed_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.match(JSON.stringify(lines.find((line) => line.id === 'req002')!.outputs), /AIとは何ですか/);

    // -i/-o short flags and --retry with no failures: nothing to do, nothing re-run.
    const executed = seed.executedRuns;
    const retry = await cli(['batch', '-i', 'data.csv', '-o', 'results.jsonl', '--retry'], { cwd: dir }).done;
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stderr, /Nothing to retry/);
    // Running the same command again skips what succeeded.
    const again = await cli(['batch', '-i', 'data.csv', '-o', 'results.jsonl'], { cwd: dir }).done;
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Nothing to do: all 3 rows already succeeded in results\.jsonl/);
    assert.equal(seed.executedRuns, executed);
    assert.equal(readOutput(join(dir, 'results.jsonl')).length, 3);
  });

  test('--bom writes one BOM at the start of a new file; --json prints the summary on stdout', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), SEED_CSV);
    const env = { DIFY_API_KEY: seed.apiKey, DIFY_API_BASE_URL: seed.baseURL };
    const run = await cli(['batch', '-i', 'data.csv', '-o', 'excel.jsonl', '--bom', '--json', '--quiet'], { cwd: dir, env }).done;
    assert.equal(run.code, 0, run.stderr);
    const bytes = readFileSync(join(dir, 'excel.jsonl'));
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(bytes.toString('utf8').split('\uFEFF').length, 2, 'exactly one BOM');
    const summary = JSON.parse(run.stdout) as { succeeded: number; rows_to_process: number; latency_ms: { p50: number } };
    assert.equal(summary.succeeded, 3);
    assert.equal(typeof summary.latency_ms.p50, 'number');
    assert.equal(run.stderr, '', '--quiet prints nothing on success');
  });
});

describe('pre-flight and stops', () => {
  test('--dry-run validates, shows request bodies and warns about undeclared columns; nothing executes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), 'id,user_name,querry,language\nr1,Ann,typo in header,English\nr2,Bo,x,Klingon\n');
    const env = { DIFY_API_KEY: seed.apiKey, DIFY_API_BASE_URL: seed.baseURL };
    const before = seed.executedRuns;
    const run = await cli(['batch', '-i', 'data.csv', '-o', 'out.jsonl', '--dry-run'], { cwd: dir, env }).done;
    assert.equal(run.code, 1);
    assert.match(run.stderr, /warning: 1 column not declared by the workflow \(Dify ignores them\): querry — declared inputs: user_name, query, language/);
    assert.match(run.stdout, /Dry run: 2 rows in data\.csv, 0 valid, 2 invalid/);
    assert.match(run.stdout, /data\.csv:2: id "r1": column "query": query is required in input form/);
    assert.match(run.stdout, /data\.csv:3: id "r2": column "query"|data\.csv:3: id "r2": column "language": language in input form must be one of the following: \['English', 'Japanese'\]/);
    assert.equal(seed.executedRuns, before);
    assert.equal(existsSync(join(dir, 'out.jsonl')), false);
  });

  test('a rejected API key stops at once with exit 3 and a one-line reason', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), SEED_CSV);
    const run = await cli(['batch', '-i', 'data.csv', '-o', 'out.jsonl'], { cwd: dir, env: { DIFY_API_KEY: 'app-wrong', DIFY_API_BASE_URL: seed.baseURL } }).done;
    assert.equal(run.code, 3);
    assert.equal(run.stderr.trim(), `difyrun batch: The API key was rejected by ${seed.baseURL} (Access token is invalid) — check DIFY_API_KEY`);
    assert.ok(!run.stderr.includes('app-wrong'), 'the key is never printed');
  });

  test('quota exhausted (429 rate_limit_error): no new rows start, exit 3, unfinished rows retryable', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { quotaRuns: 5, latencyMs: 20 } });
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'in.csv'), reviewsCsv(40));
      const run = await cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl', '-c', '2'], { cwd: dir, env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL } }).done;
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /quota exhausted/);
      const lines = readOutput(join(dir, 'out.jsonl'));
      assert.equal(lines.filter((line) => line.status === 'success').length, 5);
      assert.ok(lines.length < 10, `stopped early (${lines.length} lines)`);
      assert.ok(server.executedRuns <= 5);
      const summary = JSON.parse(readFileSync(join(dir, 'out.jsonl.summary.json'), 'utf8')) as { not_started: number };
      assert.ok(summary.not_started > 25);
    } finally {
      await server.close();
    }
  });

  test('the app unpublished mid-batch: the batch stops at once with exit 3, the rows not run are left for a rerun', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { unpublishAfterRuns: 8, latencyMs: 20 } });
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'in.csv'), reviewsCsv(60));
      const env = { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL };
      const run = await cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl', '-c', '4'], { cwd: dir, env }).done;
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /The workflow app is not published/);
      const lines = readOutput(join(dir, 'out.jsonl'));
      assert.equal(lines.filter((line) => line.status === 'success').length, 8);
      assert.ok(lines.length <= 8 + 4, `no row ground on after the first refusal (${lines.length} lines)`);
      assert.ok(lines.every((line) => line.status === 'success' || (line.error as { code: string }).code === 'invalid_param'));
      const summary = JSON.parse(readFileSync(join(dir, 'out.jsonl.summary.json'), 'utf8')) as { not_started: number; stopped_reason: string };
      assert.ok(summary.not_started >= 60 - 12);
      assert.match(summary.stopped_reason, /not published/);
      // Run again while it is still unpublished: /parameters is refused before anything runs.
      const again = await cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl'], { cwd: dir, env }).done;
      assert.equal(again.code, 3, again.stderr);
      assert.match(again.stderr.trim(), /^difyrun batch: The workflow app is not published/);
      assert.equal(readOutput(join(dir, 'out.jsonl')).length, lines.length, 'nothing written');
    } finally {
      await server.close();
    }
  });

  test('Ctrl-C stops in-flight runs on the server, records them as stopped, exits 130', async () => {
    const server = await startServer({ workflow: 'examples/workflows/translate-stream.yml', port: 0, llm: { tokensPerSecond: 4 } });
    try {
      const dir = tempDir();
      const rows = ['id,text,target_language'];
      for (let i = 0; i < 20; i++) rows.push(`t${i},"A fairly long sentence number ${i} that the stand-in model will stream back slowly",French`);
      writeFileSync(join(dir, 'in.csv'), `${rows.join('\n')}\n`);
      const run = cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl', '-c', '3'], { cwd: dir, env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL } });
      const deadline = Date.now() + 30_000;
      while (server.activeRuns < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(server.activeRuns, 3);
      run.child.kill('SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(server.activeRuns, 0, 'the server-side runs were stopped');
      const lines = readOutput(join(dir, 'out.jsonl'));
      const stopped = lines.filter((line) => line.workflow_status === 'stopped');
      assert.equal(stopped.length, 3);
      assert.ok(stopped.every((line) => line.status === 'failed'));
      assert.match(result.stderr, /Stopping: no new rows/);
      assert.deepEqual(readFileSync(join(dir, 'out.jsonl.retry'), 'utf8').trim().split('\n').sort(), stopped.map((line) => line.id).sort());
    } finally {
      await server.close();
    }
  });
});
