/** Group-committed appends: order kept, both kinds of durability resolve, close never hangs, the sync interval only while lines keep coming. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DurableAppender } from '../../src/batch/record/durable-appender.js';
import { tempDir } from '../helpers/batch-harness.js';

test('written-only and synced appends interleave in order; close waits for all of them', async () => {
  const path = join(tempDir(), 'lines.jsonl');
  const appender = await DurableAppender.open(path, { bom: true });
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) {
    pending.push(i % 3 === 0 ? appender.append(`{"n":${i}}\n`) : appender.appendWritten(`{"n":${i}}\n`));
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  // Only written-only appends after the last synced one: close must still sync and return.
  await appender.appendWritten('{"n":"last"}\n');
  await appender.close();
  const lines = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\n');
  assert.deepEqual(
    lines.map((line) => JSON.parse(line).n),
    [...Array.from({ length: 500 }, (_, i) => i), 'last'],
  );
});

test('a file that cannot be written rejects every waiting append, and later ones', async () => {
  const path = join(tempDir(), 'fail.jsonl');
  const appender = await DurableAppender.open(path);
  await appender.close(); // the descriptor is gone: the next write fails
  await assert.rejects(appender.append('{"n":1}\n'));
  await assert.rejects(appender.appendWritten('{"n":2}\n'));
});

test('while lines keep coming a sync waits out the interval and is shared; a caller waiting on each line is not kept waiting', async () => {
  const path = join(tempDir(), 'interval.jsonl');
  const probe = await open(path, 'a');
  const prototype = Object.getPrototypeOf(probe) as { datasync(this: FileHandle): Promise<void> };
  await probe.close();
  const datasync = prototype.datasync;
  let syncs = 0;
  prototype.datasync = function (this: FileHandle) {
    syncs++;
    return datasync.call(this);
  };
  try {
    const interval = 1000;
    const appender = await DurableAppender.open(path, { syncIntervalMs: interval });
    const started = performance.now();
    await appender.appendWritten('{"n":1}\n'); // written; the first sync starts at once
    await appender.appendWritten('{"n":2}\n'); // written while that sync runs: lines keep coming
    const third = appender.append('{"n":3}\n');
    await third;
    const thirdMs = performance.now() - started;
    assert.ok(thirdMs >= interval * 0.8, `the second sync waited out the interval (${thirdMs.toFixed(0)} ms)`);
    assert.equal(syncs, 2, 'lines 2 and 3 shared the second sync');
    // Nothing was written during that sync: a caller that waits for each line gets it synced at once.
    const fourthStarted = performance.now();
    await appender.append('{"n":4}\n');
    await appender.append('{"n":5}\n');
    const sequentialMs = performance.now() - fourthStarted;
    assert.ok(sequentialMs < interval * 0.8, `two awaited appends took ${sequentialMs.toFixed(0)} ms`);
    assert.equal(syncs, 4);
    await appender.close();
    assert.deepEqual(
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).n),
      [1, 2, 3, 4, 5],
    );
  } finally {
    prototype.datasync = datasync;
  }
});
