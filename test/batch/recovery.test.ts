/**
 * The promise of `difyrun batch`: under injected faults and crashes, every row ends with
 * exactly one outcome and the server runs each row at most once.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compactLedger } from '../../src/batch/record/compact.js';
import { startServer } from '../../src/server/index.js';
import { batchInProcess, cli, defaultConfig, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';

const FAULTS_30_PERCENT = {
  seed: 11,
  latencyMs: { min: 5, max: 40 },
  rate429: 0.05,
  rate500: 0.05,
  rate502: 0.04,
  rate504: 0.03,
  resetRate: 0.04,
  dropRate: 0.05,
  stallRate: 0.02,
};

function assertOneSuccessPerId(path: string, rows: number): void {
  const lines = readOutput(path);
  const ids = new Set(lines.map((line) => line.id));
  assert.equal(ids.size, rows, 'every id is present');
  assert.equal(lines.length, rows, 'one line per id');
  const successes = lines.filter((line) => line.status === 'success').length;
  assert.equal(successes, rows, `all rows succeeded (failed: ${JSON.stringify(lines.find((line) => line.status !== 'success'))})`);
}

describe('faults', () => {
  test('2,000 rows with ~30% injected faults: every id once, no duplicate execution', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: FAULTS_30_PERCENT, pingIntervalMs: 500 });
    try {
      const dir = tempDir();
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.jsonl');
      writeFileSync(input, reviewsCsv(2000));
      const result = await batchInProcess(server, defaultConfig(input, output, { concurrency: 32, maxRetries: 6 }));
      assert.equal(result.exitCode, 0, result.stderr);
      await compactLedger(output);
      assertOneSuccessPerId(output, 2000);
      const summary = result.summary!;
      assert.ok(summary.reexecutions_avoided > 100, `recoveries: ${summary.reexecutions_avoided}`);
      assert.ok(summary.retries > 100, `retries: ${summary.retries}`);
      assert.equal(summary.duplicate_executions, 0);
      assert.ok(server.executedRuns <= 2000, `executed ${server.executedRuns} runs for 2000 rows`);
      assert.equal(existsSync(`${output}.journal`), false, 'journal removed after a clean end');
      assert.equal(existsSync(`${output}.retry`), false);
      const saved = JSON.parse(readFileSync(`${output}.summary.json`, 'utf8')) as { succeeded: number };
      assert.equal(saved.succeeded, 2000);
    } finally {
      await server.close();
    }
  });

  test('blocking mode: gateway cut-offs are recovered from the logs, not re-run', async () => {
    const server = await startServer({
      workflow: 'examples/workflows/review-triage.yml',
      port: 0,
      faults: { seed: 5, latencyMs: { min: 10, max: 1500 }, blockingTimeoutSeconds: 1, rate502: 0.1, resetRate: 0.05 },
    });
    try {
      const dir = tempDir();
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.jsonl');
      writeFileSync(input, reviewsCsv(120));
      const result = await batchInProcess(server, defaultConfig(input, output, { concurrency: 16, mode: 'blocking' }));
      assert.equal(result.exitCode, 0, result.stderr);
      assertOneSuccessPerId(output, 120);
      assert.ok(result.summary!.reexecutions_avoided >= 20, `recoveries: ${result.summary!.reexecutions_avoided}`);
      assert.ok(server.executedRuns <= 120, `executed ${server.executedRuns}`);
    } finally {
      await server.close();
    }
  });

  test('a workflow failure (HTTP 200, status failed) is a failed row, not retried, listed in .retry', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
    try {
      const dir = tempDir();
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.jsonl');
      // The code node rejects a rating of 0 ("rating must be between 1 and 5").
      writeFileSync(input, 'id,review,rating\nok,Fine,4\nbad,Broken,0\nworse,Bad,abc\n');
      const result = await batchInProcess(server, defaultConfig(input, output));
      assert.equal(result.exitCode, 1);
      const rows = new Map(readOutput(output).map((row) => [row.id, row]));
      assert.equal(rows.get('ok')!.status, 'success');
      assert.equal(rows.get('bad')!.status, 'failed');
      assert.equal(rows.get('bad')!.workflow_status, 'failed');
      assert.equal(rows.get('bad')!.attempts, 1);
      assert.deepEqual(rows.get('worse')!.error, { code: 'invalid_input', message: 'column "rating": rating in input form must be a valid number', http_status: null });
      assert.equal(rows.get('worse')!.attempts, 0);
      assert.deepEqual(readFileSync(`${output}.retry`, 'utf8').split('\n').sort(), ['', 'bad', 'worse']);
      assert.equal(server.executedRuns, 2);
    } finally {
      await server.close();
    }
  });
});

describe('crashes and resume', () => {
  test('SIGKILL at random points three times, then resume: every id once, nothing run twice', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { seed: 3, latencyMs: { min: 50, max: 400 }, dropRate: 0.05, resetRate: 0.03 } });
    try {
      const dir = tempDir();
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.jsonl');
      writeFileSync(input, reviewsCsv(400));
      const env = { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL, INITIAL_RETRY_DELAY: '0.05', MAX_RETRY_DELAY: '0.5' };
      const args = ['batch', '-i', input, '-o', output, '-c', '24', '--quiet'];
      const killAfter = [700, 1300, 900];
      for (const delay of killAfter) {
        const run = cli(args, { env });
        await new Promise((resolve) => setTimeout(resolve, delay));
        run.child.kill('SIGKILL');
        const { signal } = await run.done;
        assert.equal(signal, 'SIGKILL');
        readOutput(output); // every line parses after a kill
      }
      const final = await cli(args, { env }).done;
      assert.equal(final.code, 0, final.stderr);
      assertOneSuccessPerId(output, 400);
      assert.ok(server.executedRuns <= 400, `executed ${server.executedRuns} runs for 400 rows`);
      assert.equal(existsSync(`${output}.journal`), false);
    } finally {
      await server.close();
    }
  });

  test('a torn last line is repaired and kept aside; --retry runs only failed ids; --compact keeps the last line', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
    try {
      const dir = tempDir();
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.jsonl');
      writeFileSync(input, 'id,review,rating\na,Good,5\nb,Bad,0\nc,Fine,3\n');
      assert.equal((await batchInProcess(server, defaultConfig(input, output))).exitCode, 1);
      writeFileSync(output, `${readFileSync(output, 'utf8')}{"id":"c","status":"succ`);
      writeFileSync(input, 'id,review,rating\na,Good,5\nb,Fixed now,2\nc,Fine,3\n');
      const before = server.executedRuns;
      const retry = await batchInProcess(server, defaultConfig(input, output, { retryOnly: true, quiet: false }));
      assert.equal(retry.exitCode, 0, retry.stderr);
      assert.match(retry.stderr, /removed a torn last line/);
      assert.equal(readFileSync(`${output}.torn`, 'utf8'), '{"id":"c","status":"succ');
      assert.equal(server.executedRuns - before, 1, 'only b ran again');
      assert.equal(existsSync(`${output}.retry`), false);
      const { linesBefore, linesAfter } = (await compactLedger(output))!;
      assert.deepEqual([linesBefore, linesAfter], [4, 3]);
      assert.deepEqual(readOutput(output).map((row) => [row.id, row.status]).sort(), [['a', 'success'], ['b', 'success'], ['c', 'success']]);
    } finally {
      await server.close();
    }
  });

  test('--compact keeps the BOM of a --bom output', async () => {
    const path = join(tempDir(), 'bom.jsonl');
    writeFileSync(path, '\uFEFF{"id":"a","status":"failed"}\n{"id":"a","status":"success"}\n');
    assert.deepEqual(await compactLedger(path), { linesBefore: 2, linesAfter: 1 });
    assert.equal(readFileSync(path, 'utf8'), '\uFEFF{"id":"a","status":"success"}\n');
  });

  test('a row a crashed process posted long ago, never seen by the server, is sent once without waiting out the timeout', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
    try {
      const dir = tempDir();
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.jsonl');
      writeFileSync(input, reviewsCsv(3));
      writeFileSync(`${output}.journal`, `${JSON.stringify({ e: 'post', id: 'row00001', user: 'difyrun-row00001', at: Date.now() - 120_000 })}\n`);
      const result = await batchInProcess(server, defaultConfig(input, output, { timeoutSeconds: 60 }));
      assert.equal(result.exitCode, 0, result.stderr);
      assertOneSuccessPerId(output, 3);
      assert.equal(server.executedRuns, 3);
      assert.equal(result.summary!.duplicate_executions, 0);
      assert.ok(result.summary!.wall_time_s < 30, `took ${result.summary!.wall_time_s} s`);
    } finally {
      await server.close();
    }
  });
});

