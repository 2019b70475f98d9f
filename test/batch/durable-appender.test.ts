/** Group-committed appends: order kept, both kinds of durability resolve, close never hangs. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
