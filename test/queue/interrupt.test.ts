/** Ctrl-C at the submitter stops the batch on the workers, as a local batch stops; the same command finishes it. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { readOutput, tempDir } from '../helpers/batch-harness.js';
import { startWorker, submit, waitFor } from './queue-harness.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const missing = redisMissing();
let redis: TestRedis;
let server: RunningServer;

before(async () => {
  if (missing) return;
  redis = await startRedis();
  // The stand-in LLM streams slowly: a run is still going when Ctrl-C comes.
  server = await startServer({ workflow: 'examples/workflows/translate-stream.yml', port: 0, llm: { tokensPerSecond: 3 } });
});
after(async () => {
  await server?.close();
  await redis?.stop();
});

test('Ctrl-C at the submitter: runs in flight on the workers are stopped and recorded, exit 130; running it again finishes the batch', { skip: missing }, async () => {
  const dir = tempDir('difyrun-interrupt-');
  const input = join(dir, 'in.csv');
  writeFileSync(input, `id,text,target_language\n${Array.from({ length: 12 }, (_, i) => `t${i},Sentence number ${i} to translate,French`).join('\n')}\n`);
  const output = join(dir, 'out.jsonl');
  const args = ['-i', input, '-o', output, '-c', '6', '--mode', 'streaming'];
  const worker = startWorker(redis.url, { DIFY_API_KEY: server.apiKey });
  try {
    const first = submit(server, redis.url, args);
    await waitFor(() => server.activeRuns >= 3, 60_000, 'runs in flight');
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const lines = readOutput(output);
    assert.ok(lines.length >= 3 && lines.length <= 6, `${lines.length} lines`);
    assert.match(stopped.stderr, /interrupted/);
    assert.ok(lines.every((line) => line.workflow_status === 'stopped' && line.status === 'failed'), JSON.stringify(lines.map((line) => line.workflow_status)));
    const executed = server.executedRuns;

    const again = await submit(server, redis.url, args).done;
    assert.equal(again.code, 0, again.stderr);
    const succeeded = new Set(readOutput(output).filter((line) => line.status === 'success').map((line) => line.id));
    assert.equal(succeeded.size, 12);
    // Stopped rows run again (as after a local Ctrl-C); the others ran once.
    assert.equal(server.executedRuns, executed + 12);
  } finally {
    worker.child.kill('SIGKILL');
  }
});
