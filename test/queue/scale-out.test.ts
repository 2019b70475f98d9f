/**
 * The scale-out guarantee under fire: three workers and a submitter, 5,000 rows against a
 * local server that injects rate limits, 5xx, gateway cut-offs, resets and dropped streams;
 * two workers and the submitter are SIGKILLed mid-batch (and started again). Every id ends
 * succeeded exactly once, and the server executed at most 0.5% more runs than there are rows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOutput, tempDir, type CliRun } from '../helpers/batch-harness.js';
import { ECHO_WORKFLOW, echoCsv, outputLines, queueFixture, startWorker, submit, waitFor } from './queue-harness.js';

// DIFYRUN_SCALE_ROWS lowers it for a quick look on a busy machine; CI runs the full 5,000.
const ROWS = Number(process.env.DIFYRUN_SCALE_ROWS ?? 5000);
const fixture = queueFixture({
  workflow: ECHO_WORKFLOW,
  faults: {
    seed: 14,
    latencyMs: { min: 20, max: 150 },
    maxActiveRequests: 40,
    rate429: 0.005,
    rate500: 0.005,
    rate502: 0.003,
    rate504: 0.003,
    resetRate: 0.003,
    dropRate: 0.005,
    dropAfterEvents: 2,
  },
});
const { missing } = fixture;

test(
  '5,000 rows on three workers survive two worker kills and a submitter kill: each id succeeds once, ≤ 0.5% duplicate runs',
  { skip: missing, timeout: 300_000 },
  async (t) => {
    const dir = tempDir('difyrun-scale-');
    const input = echoCsv(dir, ROWS);
    const output = join(dir, 'out.jsonl');
    const workerEnv = { DIFY_API_KEY: fixture.server().apiKey };
    const workerArgs = ['-c', '24', '--lease', '8', '--quiet'];
    const workers: CliRun[] = [0, 1, 2].map(() => startWorker(fixture.redis().url, workerEnv, workerArgs));
    const batchArgs = ['-i', input, '-o', output, '-c', '48', '--mode', 'streaming', '--quiet'];
    let submitter = submit(fixture.server(), fixture.redis().url, batchArgs);
    try {
      await waitFor(() => outputLines(output) >= ROWS * 0.16, 120_000, 'the first outcomes');
      workers[0]!.child.kill('SIGKILL');
      workers[0] = startWorker(fixture.redis().url, workerEnv, workerArgs);

      await waitFor(() => outputLines(output) >= ROWS * 0.36, 120_000, 'a third of the outcomes');
      submitter.child.kill('SIGKILL');
      const killed = await submitter.done;
      assert.equal(killed.signal, 'SIGKILL');
      submitter = submit(fixture.server(), fixture.redis().url, batchArgs);

      await waitFor(() => outputLines(output) >= ROWS * 0.6, 120_000, 'most outcomes');
      workers[1]!.child.kill('SIGKILL');
      workers[1] = startWorker(fixture.redis().url, workerEnv, workerArgs);

      const result = await submitter.done;
      assert.equal(result.code, 0, result.stderr);
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL');
      submitter.child.kill('SIGKILL');
    }

    const records = readOutput(output);
    const successes = new Map<string, number>();
    for (const record of records) if (record.status === 'success') successes.set(String(record.id), (successes.get(String(record.id)) ?? 0) + 1);
    assert.equal(successes.size, ROWS, 'every id succeeded');
    const twice = [...successes].filter(([, count]) => count > 1);
    assert.deepEqual(twice, [], 'no id recorded as succeeded twice');
    const duplicates = fixture.server().executedRuns - ROWS;
    t.diagnostic(`${ROWS} rows, ${records.length} output lines, ${fixture.server().executedRuns} runs executed (${duplicates} duplicates)`);
    assert.ok(duplicates >= 0);
    assert.ok(duplicates <= ROWS * 0.005, `duplicate executions ${duplicates} > 0.5% of ${ROWS}`);
    // Nothing of the batch is left in Redis but the app's queue and limits.
    assert.deepEqual(await fixture.redis().client.keys('difyrun:batch:*'), []);
  },
);
