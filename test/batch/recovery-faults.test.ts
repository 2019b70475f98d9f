/**
 * The promise of `difyrun batch` under injected faults: every row ends with exactly one
 * outcome and the server runs each row at most once. (Crashes: recovery-crashes.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compactLedger } from '../../src/batch/record/compact.js';
import { startServer } from '../../src/server/index.js';
import { assertOneSuccessPerId, batchInProcess, defaultConfig, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';

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

