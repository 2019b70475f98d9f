/**
 * Fingerprints computed on a second thread for a resume's scan: the ring between the threads,
 * the worker's values (the same as the scan's own), and a resume over enough rows that the
 * worker is used, still running exactly the changed rows again.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RingReader, RingWriter, ringBuffer } from '../../src/batch/input/fingerprint-ring.js';
import { FingerprintsAhead } from '../../src/batch/input/fingerprints-ahead.js';
import { readRowBatches } from '../../src/batch/input/read-rows.js';
import { outcomeLine, type OutcomeRecord } from '../../src/batch/record/outcome.js';
import { inputFingerprint, inputFingerprintWords } from '../../src/results/fingerprint.js';
import { startServer } from '../../src/server/index.js';
import { batchInProcess, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';

const dir = tempDir('difyrun-ahead-');

test('the ring hands over entries in line order, passes over lines the reader skipped, and wraps around', () => {
  const ring = ringBuffer(4);
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const words = { high: 0, low: 0 };
  assert.equal(reader.take(1, words), false, 'nothing written yet');
  assert.equal(writer.wants(10), false, 'too close to where the reader is: it fingerprints those itself');
  assert.equal(writer.wants(5000), true);
  for (const line of [5000, 5001, 5003, 5004]) writer.put(line, line, -line);
  assert.equal(reader.take(5001, words), true, 'line 5000 is passed over');
  assert.deepEqual(words, { high: 5001, low: -5001 });
  assert.equal(reader.take(5002, words), false, 'a line the writer did not write');
  assert.equal(reader.take(5003, words), true);
  // Room again: the next entries wrap around the four slots.
  writer.put(5006, 1, 2);
  writer.put(5007, 3, 4);
  assert.equal(reader.take(5004, words), true);
  assert.equal(reader.take(5007, words), true);
  assert.deepEqual(words, { high: 3, low: 4 });
  reader.close();
  assert.equal(writer.open, false);
});

test("the worker's fingerprints are the scan's own, row by row, for rows past the first few thousand lines", async () => {
  const input = join(dir, 'rows.csv');
  const rows = 6000;
  const lines = ['id,name,query,expect:label'];
  for (let i = 0; i < rows; i++) lines.push(`r${i},"Ünïcode ""${i % 7}""",日本語 ${i},x`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const ahead = FingerprintsAhead.start(input);
  await ahead.finished();
  let fromWorker = 0;
  for await (const batch of readRowBatches(input)) {
    for (const row of batch.items) {
      if (row.kind !== 'row') continue;
      const words = ahead.wordsOf(row);
      if (words === undefined) continue;
      fromWorker++;
      assert.deepEqual({ ...words }, inputFingerprintWords(row.values), `line ${row.line}`);
    }
  }
  await ahead.stop();
  // The worker leaves the rows just ahead of the scan to the scan itself (here: before line ~2,048).
  assert.ok(fromWorker > rows - 2100 && fromWorker < rows, `${fromWorker} rows from the worker`);
});

test('inputFingerprintWords is the recorded fingerprint as two numbers', () => {
  const values = { id: 'a', q: 'x', nested: { b: [1, { z: 1, a: null }] } };
  const hex = inputFingerprint(values);
  const { high, low } = inputFingerprintWords(values);
  assert.equal(hex, (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0'));
});

test('a resume over 5,000 rows, with the worker fingerprinting, runs again exactly the rows whose inputs changed', async () => {
  const input = join(dir, 'resume.csv');
  const output = join(dir, 'resume.jsonl');
  const query = (i: number, edited: boolean) => `item ${i}${edited ? ' (edited)' : ''}`;
  // The output of an earlier run, as difyrun writes it: every row succeeded.
  const done = [];
  for (let i = 0; i < 5000; i++) {
    const inputs = { id: `row${i}`, user_name: `User ${i % 97}`, query: query(i, false), language: 'English' };
    done.push(outcomeLine({ ...successLine(`row${i}`, inputs), workflow_id: null, input_fingerprint: inputFingerprint(inputs) }));
  }
  writeFileSync(output, done.join(''));
  // Rows early in the file (the scan's own share) and late (the worker's) changed since.
  const changed = new Set([3, 2500, 4998]);
  const lines = ['id,user_name,query,language'];
  for (let i = 0; i < 5000; i++) lines.push(`row${i},User ${i % 97},${query(i, changed.has(i))},English`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0 });
  try {
    const resumed = await batchInProcess(server, defaultConfig(input, output, { quiet: false }));
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    assert.equal(resumed.summary!.rows_to_process, 3);
    assert.match(resumed.stderr, /3 rows whose inputs changed since they succeeded: running again/);
    assert.equal(server.executedRuns, 3);
    assert.deepEqual(
      readOutput(output)
        .slice(5000)
        .map((line) => line.id)
        .sort(),
      ['row2500', 'row3', 'row4998'],
    );
  } finally {
    await server.close();
  }
});

function successLine(id: string, inputs: Record<string, unknown>): OutcomeRecord {
  return {
    id,
    status: 'success',
    inputs,
    outputs: { result: 'ok' },
    workflow_run_id: '00000000-0000-4000-8000-000000000000',
    executed_at: '2026-11-21T00:00:00.000Z',
    retry_count: 0,
    task_id: null,
    workflow_status: 'succeeded',
    error: null,
    elapsed_time: 0.01,
    total_tokens: 0,
    total_price: null,
    currency: null,
    latency_ms: 12,
    attempts: 1,
  };
}
