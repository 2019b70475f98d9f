/** `difyrun batch` as users run it, when the batch must stop: quota, an unpublished app, Ctrl-C. (More in cli.test.ts.) */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { cli, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';
import { startHold } from '../helpers/streaming-run.js';

describe('stops', () => {
  test('quota exhausted (429 rate_limit_error): no new rows start, exit 3, unfinished rows retryable', async () => {
    const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { quotaRuns: 5, latencyMs: 20 } });
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'in.csv'), reviewsCsv(40));
      const run = await cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl', '-c', '2'], {
        cwd: dir,
        env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL },
      }).done;
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
    // Every run waits on a request nobody answers: the three in flight are still running at Ctrl-C.
    const hold = await startHold();
    const server = await startServer({ workflow: 'test/fixtures/workflows/held-request.yml', port: 0 });
    try {
      const dir = tempDir();
      const rows = ['id,url'];
      for (let i = 0; i < 20; i++) rows.push(`t${i},${hold.url}?row=${i}`);
      writeFileSync(join(dir, 'in.csv'), `${rows.join('\n')}\n`);
      const run = cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl', '-c', '3'], {
        cwd: dir,
        env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL },
      });
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
      // Stopped, not "failed", in what the person who pressed Ctrl-C reads.
      assert.match(result.stderr, /^0 succeeded, 3 stopped, 17 not started of 20 rows in /m);
      assert.match(result.stderr, /runs the 17 not started and the 3 stopped$/m);
      assert.deepEqual(readFileSync(join(dir, 'out.jsonl.retry'), 'utf8').trim().split('\n').sort(), stopped.map((line) => line.id).sort());
    } finally {
      await server.close();
      await hold.close();
    }
  });
});
