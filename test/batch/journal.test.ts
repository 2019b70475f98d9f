/** The in-flight journal read back after a crash. */
import assert from 'node:assert/strict';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Journal } from '../../src/batch/record/journal.js';
import { tempDir } from '../helpers/batch-harness.js';

test('Journal.load: the latest attempt per id, its run id, earlier attempts’ run ids; torn and foreign lines ignored', async () => {
  const path = join(tempDir(), 'out.jsonl.journal');
  writeFileSync(
    path,
    [
      '{"e":"post","id":"a","user":"difyrun-a","at":1000}',
      '{"e":"run","id":"a","run":"run-a1","task":"task-a1","at":1100}',
      '{"e":"post","id":"b","user":"difyrun-b","at":1200}',
      '{"e":"run","id":"zzz","run":"orphan","task":"t","at":1250}', // a run line without its post
      '{"e":"post","id":"a","user":"difyrun-a","at":2000}', // a retry of a
      '{"e":"post","id":"c","user":"u","at":30', // torn by the crash
    ].join('\n'),
  );
  const inFlight = await Journal.load(path);
  assert.deepEqual([...inFlight.keys()].sort(), ['a', 'b']);
  assert.deepEqual(inFlight.get('a'), { id: 'a', user: 'difyrun-a', at: 2000, earlierRunIds: ['run-a1'] });
  assert.deepEqual(inFlight.get('b'), { id: 'b', user: 'difyrun-b', at: 1200, earlierRunIds: [] });
});

test('a missing journal is empty; what is written reads back; a clean close deletes the file', async () => {
  const path = join(tempDir(), 'j.journal');
  assert.equal((await Journal.load(path)).size, 0);
  const journal = await Journal.open(path);
  await journal.posting('r1', 'difyrun-r1', 5);
  await journal.started('r1', 'run-1', 'task-1');
  await journal.close(false);
  const back = (await Journal.load(path)).get('r1')!;
  assert.equal(back.runId, 'run-1');
  assert.equal(back.taskId, 'task-1');
  const again = await Journal.open(path);
  await again.close(true);
  assert.equal(existsSync(path), false);
});
