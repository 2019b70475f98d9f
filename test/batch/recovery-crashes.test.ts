/**
 * The promise of `difyrun batch` across crashes and resumes: every row ends with exactly one
 * outcome and the server runs each row at most once. (Faults: recovery-faults.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compactLedger } from '../../src/batch/record/compact.js';
import { startServer } from '../../src/server/index.js';
import { assertOneSuccessPerId, batchInProcess, cli, defaultConfig, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';

describe('crashes and resume', () => {
  test('SIGKILL at random points three times, then resume: every id once, nothing run twice', async () => {
    const server = await startServer({
      workflow: 'examples/workflows/review-triage.yml',
      port: 0,
      faults: { seed: 3, latencyMs: { min: 50, max: 400 }, dropRate: 0.05, resetRate: 0.03 },
    });
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
      assert.deepEqual(
        readOutput(output)
          .map((row) => [row.id, row.status])
          .sort(),
        [
          ['a', 'success'],
          ['b', 'success'],
          ['c', 'success'],
        ],
      );
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
