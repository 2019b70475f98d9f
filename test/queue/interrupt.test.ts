/** Ctrl-C at the submitter stops the batch on the workers, as a local batch stops; the same command finishes it. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOutput, tempDir } from '../helpers/batch-harness.js';
import { queueFixture, startWorker, submit, waitFor } from './queue-harness.js';

const fixture = queueFixture({ workflow: 'test/fixtures/workflows/translate-stream-js.yml', llm: { tokensPerSecond: 3 } });
const { missing } = fixture;

test(
  'Ctrl-C at the submitter: runs in flight on the workers are stopped and recorded, exit 130; running it again finishes the batch',
  { skip: missing },
  async () => {
    const dir = tempDir('difyrun-interrupt-');
    const input = join(dir, 'in.csv');
    writeFileSync(input, `id,text,target_language\n${Array.from({ length: 12 }, (_, i) => `t${i},Sentence number ${i} to translate,French`).join('\n')}\n`);
    const output = join(dir, 'out.jsonl');
    const args = ['-i', input, '-o', output, '-c', '6', '--mode', 'streaming'];
    const worker = startWorker(fixture.redis().url, { DIFY_API_KEY: fixture.server().apiKey });
    try {
      const first = submit(fixture.server(), fixture.redis().url, args);
      await waitFor(() => fixture.server().activeRuns >= 3, 60_000, 'runs in flight');
      first.child.kill('SIGINT');
      const stopped = await first.done;
      assert.equal(stopped.code, 130, stopped.stderr);
      const lines = readOutput(output);
      assert.ok(lines.length >= 3 && lines.length <= 6, `${lines.length} lines`);
      assert.match(stopped.stderr, /interrupted/);
      assert.ok(
        lines.every((line) => line.workflow_status === 'stopped' && line.status === 'failed'),
        JSON.stringify(lines.map((line) => line.workflow_status)),
      );
      const executed = fixture.server().executedRuns;

      const again = await submit(fixture.server(), fixture.redis().url, args).done;
      assert.equal(again.code, 0, again.stderr);
      const succeeded = new Set(
        readOutput(output)
          .filter((line) => line.status === 'success')
          .map((line) => line.id),
      );
      assert.equal(succeeded.size, 12);
      // Stopped rows run again (as after a local Ctrl-C); the others ran once.
      assert.equal(fixture.server().executedRuns, executed + 12);
    } finally {
      worker.child.kill('SIGKILL');
    }
  },
);
