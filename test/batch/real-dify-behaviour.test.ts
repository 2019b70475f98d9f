/**
 * What real Dify does that the emulations did not (issue 15), against the queued stand-in:
 * streaming runs queue behind one worker, and a row the worker rejects is a silent stream.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchInProcess, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';
import { KNOWN_FILE, startQueuedDify, UNKNOWN_FILE } from './queued-dify.js';

function csv(queries: string[]): string {
  return `id,query\n${queries.map((query, i) => `r${i},${query}`).join('\n')}\n`;
}

function jsonl(rows: { query: string; doc?: unknown }[]): string {
  return rows.map((inputs, i) => JSON.stringify({ id: `r${i}`, inputs })).join('\n') + '\n';
}

test("streaming: a row Dify drops after the ping fails with Dify's own message, once, without a second run", { timeout: 30_000 }, async () => {
  const dify = await startQueuedDify({ workers: 1, runMs: 100 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(
      input,
      jsonl([{ query: 'fine', doc: KNOWN_FILE }, { query: 'unknown file', doc: UNKNOWN_FILE }, { query: 'fine too' }, { query: 'also fine', doc: KNOWN_FILE }]),
    );
    // A stream idle timeout and --timeout far beyond the test's own: only asking the server can end the row in time.
    const config = defaultConfig(input, output, { mode: 'streaming', concurrency: 4, timeoutSeconds: 600, streamIdleTimeoutSeconds: 600 });
    const result = await batchInProcess(dify, config);
    assert.equal(result.exitCode, 1);
    const rows = new Map(readOutput(output).map((row) => [row.id, row]));
    const bad = rows.get('r1')!;
    assert.equal(bad.status, 'failed');
    assert.deepEqual(bad.error, { code: 'invalid_param', message: 'Invalid upload file', http_status: 400 });
    assert.equal(bad.attempts, 1, 'the stream was the only attempt: the probe is not one');
    assert.deepEqual(
      dify.posts.filter((post) => post.user === 'difyrun-r1'),
      [
        { user: 'difyrun-r1', mode: 'streaming' },
        { user: 'difyrun-r1', mode: 'blocking', refused: 'Invalid upload file' },
      ],
      'the stream, then one probe that could not run',
    );
    assert.equal(dify.runs.filter((run) => run.user === 'difyrun-r1').length, 0, 'no run was created for it');
    assert.equal(dify.runs.length, 3);
    assert.ok(['r0', 'r2', 'r3'].every((id) => rows.get(id)!.status === 'success'));
  } finally {
    await dify.close();
  }
});

test('streaming: rows with files merely queued behind a slow worker are asked about, never sent twice', { timeout: 60_000 }, async () => {
  const dify = await startQueuedDify({ workers: 1, runMs: 1500 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, jsonl(Array.from({ length: 4 }, (_, i) => ({ query: `q${i}`, doc: KNOWN_FILE }))));
    const result = await batchInProcess(
      dify,
      defaultConfig(input, output, { mode: 'streaming', concurrency: 4, timeoutSeconds: 600, streamIdleTimeoutSeconds: 600 }),
    );
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(readOutput(output).every((row) => row.status === 'success'));
    assert.deepEqual(dify.runs.map((run) => run.user).sort(), ['difyrun-r0', 'difyrun-r1', 'difyrun-r2', 'difyrun-r3'], 'each row ran once');
    assert.ok(dify.runs.every((run) => run.mode === 'streaming'));
    const probes = dify.posts.filter((post) => post.mode === 'blocking');
    assert.ok(probes.length >= 2, `the rows waiting over 2 s in the queue were asked about (${probes.length} probes)`);
    assert.ok(
      probes.every((probe) => /must be a string/.test(probe.refused ?? '')),
      'every probe was refused, so none could run',
    );
  } finally {
    await dify.close();
  }
});

test('streaming: a row that never starts is bounded by --timeout and not sent again (it may still be queued)', { timeout: 30_000 }, async () => {
  const dify = await startQueuedDify({ workers: 1, runMs: 50 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, jsonl([{ query: 'STUCK behind another client', doc: KNOWN_FILE }]));
    const began = Date.now();
    const result = await batchInProcess(dify, defaultConfig(input, output, { mode: 'streaming', timeoutSeconds: 4, streamIdleTimeoutSeconds: 600 }));
    assert.equal(result.exitCode, 1);
    assert.ok(Date.now() - began < 15_000, 'ended at --timeout, not at the stream idle timeout');
    const [row] = readOutput(output);
    assert.equal((row!.error as { code: string }).code, 'run_not_started');
    assert.match((row!.error as { message: string }).message, /not sent again/);
    assert.deepEqual(dify.posts.filter((post) => post.mode === 'streaming').length, 1, 'one POST that could run');
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
