/**
 * Redis itself going away, with the persistence the README says the guarantee needs (an
 * append-only file, `appendfsync always`): a crash and restart mid-batch pauses the work and
 * loses nothing, and a worker asked to stop while Redis is down leaves at once, saying so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { readOutput, tempDir, type CliRun } from '../helpers/batch-harness.js';
import { ECHO_WORKFLOW, echoCsv, outputLines, queueFixture, startWorker, submit, waitFor } from './queue-harness.js';

const fixture = queueFixture({ workflow: ECHO_WORKFLOW, faults: { seed: 7, latencyMs: { min: 20, max: 300 } } }, { appendfsync: 'always' });
const { missing } = fixture;

/** Ids that succeeded, each with how many success lines it has. */
function successes(output: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readOutput(output)) if (line.status === 'success') counts.set(String(line.id), (counts.get(String(line.id)) ?? 0) + 1);
  return counts;
}

test(
  'Redis crashes and restarts mid-batch (appendfsync always): the batch finishes, every id succeeds once, duplicates ≤ 0.5%',
  { skip: missing, timeout: 180_000 },
  async (t) => {
    const ROWS = 300;
    const dir = tempDir('difyrun-restart-');
    const input = echoCsv(dir, ROWS);
    const output = join(dir, 'out.jsonl');
    const env = { DIFY_API_KEY: fixture.server().apiKey };
    const workers = [0, 1].map(() => startWorker(fixture.redis().url, env, ['-c', '16', '--lease', '3', '--quiet']));
    const batch = submit(fixture.server(), fixture.redis().url, ['-i', input, '-o', output, '-c', '24', '--mode', 'streaming', '--quiet']);
    try {
      await waitFor(() => outputLines(output) >= ROWS * 0.3, 120_000, 'a third of the outcomes');
      const before = fixture.server().executedRuns;
      await fixture.redis().crash();
      // Down for a while: rows in flight on the server finish meanwhile, their outcomes wait.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await fixture.redis().start();
      t.diagnostic(`Redis crashed after ${before} runs and was started again`);
      const result = await batch.done;
      assert.equal(result.code, 0, result.stderr);
      // Said once each, in a line; no error dumps from the connections that were cut.
      const redisAt = `Redis at redis://127.0.0.1:${fixture.redis().port}/0`;
      const said = `lost the connection to ${redisAt}; reconnecting (rows wait meanwhile)\nreconnected to ${redisAt}\n`;
      assert.equal(result.stderr, said);
      for (const worker of workers) {
        worker.child.kill('SIGINT');
        const end = await worker.done;
        assert.equal(end.code, 0, end.stderr);
        assert.doesNotMatch(end.stderr, /Error|ECONN|queue error/, end.stderr);
      }
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL');
      batch.child.kill('SIGKILL');
    }
    const counts = successes(output);
    assert.equal(counts.size, ROWS, 'every id succeeded');
    assert.deepEqual(
      [...counts].filter(([, count]) => count > 1),
      [],
      'no id recorded as succeeded twice',
    );
    const duplicates = fixture.server().executedRuns - ROWS;
    t.diagnostic(`${fixture.server().executedRuns} runs executed for ${ROWS} rows`);
    assert.ok(duplicates >= 0 && duplicates <= ROWS * 0.005, `duplicate executions: ${duplicates}`);
  },
);

test(
  'Ctrl-C at a worker while Redis is down: it leaves at once with one line (exit 1); its rows are recovered, not re-run, once Redis is back',
  { skip: missing, timeout: 120_000 },
  async () => {
    // Slow runs, so that rows are in flight on the server when Redis goes.
    const server = await startServer({ workflow: ECHO_WORKFLOW, port: 0, faults: { latencyMs: 1500 } });
    const dir = tempDir('difyrun-redis-down-');
    const input = echoCsv(dir, 8);
    const output = join(dir, 'out.jsonl');
    const env = { DIFY_API_KEY: server.apiKey };
    const first = startWorker(fixture.redis().url, env, ['-c', '4', '--lease', '2']);
    // Holds no key of this app: idle, but still connected to Redis.
    const idle = startWorker(fixture.redis().url, { DIFY_API_KEY: 'app-of-nobody' });
    const batch = submit(server, fixture.redis().url, ['-i', input, '-o', output, '-c', '4', '--mode', 'streaming', '--quiet']);
    let idleLog = '';
    idle.child.stderr!.on('data', (chunk: Buffer) => (idleLog += chunk.toString()));
    let second: CliRun | undefined;
    try {
      await waitFor(() => server.activeRuns >= 2, 60_000, 'rows in flight');
      // Ctrl-C before the idle worker has set up its handler would simply kill it (exit code null).
      await waitFor(() => idleLog.includes('waiting for rows'), 60_000, 'the idle worker to be ready');
      await fixture.redis().crash();
      first.child.kill('SIGINT');
      idle.child.kill('SIGINT');
      // A stop must not wait for Redis: well within the test's bound, however loaded the machine.
      const [left, idleLeft] = await Promise.race([
        Promise.all([first.done, idle.done]),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a worker did not leave within 20 s of Ctrl-C with Redis down')), 20_000)),
      ]);
      for (const end of [left, idleLeft]) {
        assert.equal(end.code, 1, end.stderr);
        const last = end.stderr.trim().split('\n').at(-1)!;
        assert.match(
          last,
          new RegExp(`^difyrun worker: Redis at redis://127\\.0\\.0\\.1:${fixture.redis().port}/0 does not answer \\(.+\\); stopped without it`),
        );
        assert.equal(end.stderr.match(/does not answer/g)?.length, 1, end.stderr);
      }
      assert.match(left.stderr, /: \d+ rows in flight are left to other workers, which recover them once Redis is back\n$/);

      await fixture.redis().start();
      second = startWorker(fixture.redis().url, env, ['-c', '4', '--lease', '2']);
      const result = await batch.done;
      assert.equal(result.code, 0, result.stderr);
    } finally {
      for (const worker of [first, idle, second]) worker?.child.kill('SIGKILL');
      batch.child.kill('SIGKILL');
      await server.close();
    }
    const counts = successes(output);
    assert.equal(counts.size, 8);
    assert.ok([...counts.values()].every((count) => count === 1));
    // The runs the first worker left in flight finished on the server and were recovered by the second.
    assert.equal(server.executedRuns, 8);
  },
);
