/**
 * An auth, app or quota error met by one worker stops the batch on every worker, as a local
 * batch stops (compare test/batch/cli-stops.test.ts): exit 3, the reason said, rows in flight
 * finished and recorded (those that met the error as failed, so a re-run retries them), rows
 * no worker had started counted as not started and not run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { readOutput, tempDir } from '../helpers/batch-harness.js';
import { ECHO_WORKFLOW, echoCsv, queueFixture, startWorker, submit } from './queue-harness.js';

const fixture = queueFixture({ workflow: ECHO_WORKFLOW, faults: { latencyMs: 100, unpublishAfterRuns: 10 } });
const { missing } = fixture;

interface Summary {
  succeeded: number;
  failed: number;
  not_started: number;
  stopped_reason: string;
}

test('the app unpublished mid-batch: every worker stops taking its rows, the submitter exits 3 and says why', { skip: missing }, async () => {
  const dir = tempDir('difyrun-stop-');
  const input = echoCsv(dir, 200);
  const output = join(dir, 'out.jsonl');
  const workers = [
    startWorker(fixture.redis().url, { DIFY_API_KEY: fixture.server().apiKey }),
    startWorker(fixture.redis().url, { DIFY_API_KEY: fixture.server().apiKey }),
  ];
  try {
    const result = await submit(fixture.server(), fixture.redis().url, ['-i', input, '-o', output, '-c', '4', '--json']).done;
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /Stopping: The workflow app is not published/);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.match(summary.stopped_reason, /not published/);
    assert.equal(summary.succeeded, 10);
    assert.equal(fixture.server().executedRuns, 10);
    // Every row is accounted for once: succeeded, failed (met the error), or not started.
    assert.equal(summary.succeeded + summary.failed + summary.not_started, 200, JSON.stringify(summary));
    const lines = readOutput(output);
    const failed = lines.filter((line) => line.status === 'failed');
    assert.equal(failed.length, summary.failed);
    assert.ok(
      failed.every((line) => (line.error as { code: string }).code === 'invalid_param'),
      JSON.stringify(failed.map((line) => line.error)),
    );
    // No row ground on after the stop: only rows sent before the workers heard of it met the error.
    assert.ok(summary.failed >= 1 && summary.failed <= 8, `failed: ${summary.failed}`);
    assert.deepEqual(readFileSync(`${output}.retry`, 'utf8').trim().split('\n').sort(), failed.map((line) => String(line.id)).sort());
  } finally {
    for (const worker of workers) worker.child.kill('SIGKILL');
  }
});

test('the quota exhausted mid-batch (429 rate_limit_error): no new rows start on any worker, exit 3', { skip: missing }, async () => {
  const server = await startServer({ workflow: ECHO_WORKFLOW, port: 0, faults: { latencyMs: 50, quotaRuns: 5 } });
  const workers = [startWorker(fixture.redis().url, { DIFY_API_KEY: server.apiKey }), startWorker(fixture.redis().url, { DIFY_API_KEY: server.apiKey })];
  try {
    const dir = tempDir('difyrun-stop-');
    const input = echoCsv(dir, 80);
    const output = join(dir, 'out.jsonl');
    const result = await submit(server, fixture.redis().url, ['-i', input, '-o', output, '-c', '2', '--json']).done;
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /Stopping: The Dify plan.s quota is exhausted/);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.match(summary.stopped_reason, /quota is exhausted/);
    assert.equal(summary.succeeded, 5);
    assert.ok(server.executedRuns <= 5);
    assert.equal(summary.succeeded + summary.failed + summary.not_started, 80, JSON.stringify(summary));
    assert.ok(summary.not_started >= 60, `not started: ${summary.not_started}`);
  } finally {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await server.close();
  }
});
