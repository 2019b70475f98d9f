/**
 * The promise of `difyrun batch` under injected faults: every row ends with exactly one
 * outcome and the server runs each row at most once. (The 2,000-row mix has a file of its own for the runner's per-file budget; crashes: recovery-crashes.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compactLedger } from '../../src/batch/record/compact.js';
import { startServer } from '../../src/server/index.js';
import { assertOneSuccessPerId, batchInProcess, defaultConfig, reviewsCsv, tempDir } from '../helpers/batch-harness.js';

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
});
