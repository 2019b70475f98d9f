/** `difyrun batch` as users run it: seed compatibility, .env, pre-flight, dry run, stops, Ctrl-C. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cli, readOutput, tempDir } from '../helpers/batch-harness.js';

const SEED_CSV =
  'id,user_name,query,language\nreq001,Alice,What is AI?,English\nreq002,Bob,AIとは何ですか,Japanese\nreq003,Charlie,Explain machine learning,English\n';

let seed: RunningServer;
before(async () => {
  seed = await startServer({ workflow: 'test/fixtures/workflows/seed-echo.yml', port: 0 });
});
after(() => seed.close());

describe('seed 001 compatibility', () => {
  test('the seed README commands work with settings from .env, and every output line parses', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), SEED_CSV);
    writeFileSync(
      join(dir, '.env'),
      `DIFY_API_KEY=${seed.apiKey}\nDIFY_API_BASE_URL=${seed.baseURL}\nMAX_RETRIES=3\nINITIAL_RETRY_DELAY=1\nMAX_RETRY_DELAY=60\nTIMEOUT=300\n`,
    );
    const first = await cli(['batch', '--input', 'data.csv', '--output', 'results.jsonl', '--wait', '0.05'], { cwd: dir }).done;
    assert.equal(first.code, 0, first.stderr);
    const text = readFileSync(join(dir, 'results.jsonl'), 'utf8');
    assert.ok(!text.startsWith('\uFEFF'), 'no BOM by default');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
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
    assert.match(
      run.stdout,
      /data\.csv:3: id "r2": column "query"|data\.csv:3: id "r2": column "language": language in input form must be one of the following: \['English', 'Japanese'\]/,
    );
    assert.equal(seed.executedRuns, before);
    assert.equal(existsSync(join(dir, 'out.jsonl')), false);
  });

  test('a rejected API key stops at once with exit 3 and a one-line reason', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), SEED_CSV);
    const run = await cli(['batch', '-i', 'data.csv', '-o', 'out.jsonl'], { cwd: dir, env: { DIFY_API_KEY: 'app-wrong', DIFY_API_BASE_URL: seed.baseURL } })
      .done;
    assert.equal(run.code, 3);
    assert.equal(run.stderr.trim(), `difyrun batch: The API key was rejected by ${seed.baseURL} (Access token is invalid) — check DIFY_API_KEY`);
    assert.ok(!run.stderr.includes('app-wrong'), 'the key is never printed');
  });

  test('a rejected API key is the error even when the file has problems too', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), 'id,user_name,query\nr1,Ann,Hello\nr1,Bob,Hi\n');
    const run = await cli(['batch', '-i', 'data.csv', '-o', 'out.jsonl'], { cwd: dir, env: { DIFY_API_KEY: 'app-wrong', DIFY_API_BASE_URL: seed.baseURL } })
      .done;
    assert.equal(run.code, 3);
    assert.equal(run.stderr.trim(), `difyrun batch: The API key was rejected by ${seed.baseURL} (Access token is invalid) — check DIFY_API_KEY`);
    assert.equal(existsSync(join(dir, 'out.jsonl')), false);
  });
});
