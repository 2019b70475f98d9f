/**
 * The promise of `difyrun batch` under injected faults: every row ends with exactly one
 * outcome and the server runs each row at most once. (Crashes: recovery-crashes.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { assertOneSuccessPerId, batchInProcess, defaultConfig, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';

describe('faults', () => {
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
      assert.deepEqual(rows.get('worse')!.error, {
        code: 'invalid_input',
        message: 'column "rating": rating in input form must be a valid number',
        http_status: null,
      });
      assert.equal(rows.get('worse')!.attempts, 0);
      assert.deepEqual(readFileSync(`${output}.retry`, 'utf8').split('\n').sort(), ['', 'bad', 'worse']);
      assert.equal(server.executedRuns, 2);
    } finally {
      await server.close();
    }
  });
});
