/**
 * What real Dify does that the emulations did not (issue 15), against the queued stand-in:
 * streaming runs queue behind one worker, and a row the worker rejects is a silent stream.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchInProcess, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';
import { startQueuedDify } from './queued-dify.js';

function csv(queries: string[]): string {
  return `id,query\n${queries.map((query, i) => `r${i},${query}`).join('\n')}\n`;
}

test("streaming: a row Dify drops after the ping fails with Dify's own message, once, without a second run", { timeout: 30_000 }, async () => {
  const dify = await startQueuedDify({ workers: 1, runMs: 100 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, csv(['fine', 'BAD upload', 'fine too', 'also fine']));
    // A stream idle timeout and --timeout far beyond the test's own: only noticing the dropped run can end the row in time.
    const config = defaultConfig(input, output, { mode: 'streaming', concurrency: 4, timeoutSeconds: 600, streamIdleTimeoutSeconds: 600 });
    const result = await batchInProcess(dify, config);
    assert.equal(result.exitCode, 1);
    const rows = new Map(readOutput(output).map((row) => [row.id, row]));
    const bad = rows.get('r1')!;
    assert.equal(bad.status, 'failed');
    assert.deepEqual(bad.error, { code: 'invalid_param', message: 'Invalid upload file', http_status: 400 });
    assert.equal(bad.attempts, 2, 'the stream, then one blocking request for the reason');
    assert.deepEqual(dify.posts.filter((post) => post.user === 'difyrun-r1').map((post) => post.mode), ['streaming', 'blocking']);
    assert.equal(dify.runs.filter((run) => run.user === 'difyrun-r1').length, 0, 'no run was created for it');
    assert.equal(dify.runs.length, 3);
    assert.ok(['r0', 'r2', 'r3'].every((id) => rows.get(id)!.status === 'success'));
  } finally {
    await dify.close();
  }
});

test('streaming: a lone rejected row is bounded by --timeout and still gets the server’s message', { timeout: 30_000 }, async () => {
  const dify = await startQueuedDify({ workers: 1, runMs: 50 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, csv(['BAD file id']));
    const result = await batchInProcess(dify, defaultConfig(input, output, { mode: 'streaming', timeoutSeconds: 2, streamIdleTimeoutSeconds: 600 }));
    assert.equal(result.exitCode, 1);
    const [row] = readOutput(output);
    assert.deepEqual(row!.error, { code: 'invalid_param', message: 'Invalid upload file', http_status: 400 });
    assert.equal(dify.runs.length, 0);
    assert.equal(result.summary!.failed, 1);
  } finally {
    await dify.close();
  }
});

test('auto: streaming runs queued behind one worker move new rows to blocking, and the summary says why', { timeout: 60_000 }, async () => {
  const dify = await startQueuedDify({ workers: 1, runMs: 150 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, csv(Array.from({ length: 30 }, (_, i) => `question ${i}`)));
    const result = await batchInProcess(dify, defaultConfig(input, output, { mode: 'auto', concurrency: 5, quiet: false }));
    assert.equal(result.exitCode, 0, result.stderr);
    const mode = result.summary!.mode;
    assert.equal(mode.requested, 'auto');
    assert.ok(mode.blocking_rows >= 15, JSON.stringify(mode));
    assert.match(mode.reason, /waited .* in Dify's queue/);
    assert.match(result.stderr, /^mode: \d+ rows streaming, \d+ rows blocking; auto chose blocking for new rows, streaming runs waited/m);
    assert.equal(dify.runs.length, 30, 'every row ran once');
  } finally {
    await dify.close();
  }
});
