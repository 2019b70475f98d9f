/** The in-memory store: bounded for `batch --local`, end user ids stable per session id. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { RunRecord } from '../../src/server/store/types.js';
import { runRecord } from '../helpers/run-record.js';

const running = (id: string): RunRecord => runRecord(id);
const finished = (id: string): RunRecord => runRecord(id, { status: 'succeeded', outputs: { id } });
const page = { page: 1, limit: 100 };

test('with maxSettledRuns, the oldest finished runs are forgotten and running ones kept', () => {
  const store = new MemoryStore({ maxSettledRuns: 2 });
  store.putRun(running('slow'));
  for (const id of ['a', 'b', 'c']) {
    store.putRun(running(id));
    store.putRun(finished(id));
  }
  assert.equal(store.getRun('a'), undefined);
  assert.deepEqual(store.getRun('c')?.outputs, { id: 'c' });
  assert.equal(store.getRun('slow')?.status, 'running');
  assert.deepEqual(
    store.listRuns(page).runs.map((run) => run.id),
    ['c', 'b', 'slow'],
  );
  store.putRun(finished('slow')); // the long run finishes: now the oldest settled one, and over the cap
  assert.deepEqual(
    store.listRuns(page).runs.map((run) => run.id),
    ['c', 'b'],
  );
});

test('a stopped run (kept running, as on Dify) counts as settled; updating a finished run does not count twice', () => {
  const store = new MemoryStore({ maxSettledRuns: 2 });
  store.putRun({ ...running('stopped'), stoppedAtMs: 2000 });
  store.putRun(finished('x'));
  store.putRun(finished('x'));
  assert.equal(store.getRun('stopped')?.status, 'running');
  store.putRun(finished('y'));
  assert.equal(store.getRun('stopped'), undefined);
  assert.deepEqual(
    store.listRuns(page).runs.map((run) => run.id),
    ['y', 'x'],
  );
});

test('without a bound every run is kept; an end user id is the same for the same session id', () => {
  const store = new MemoryStore();
  for (let i = 0; i < 50; i++) store.putRun(finished(`r${i}`));
  assert.equal(store.listRuns(page).total, 50);
  assert.equal(store.endUserId('ann'), new MemoryStore().endUserId('ann'));
  assert.notEqual(store.endUserId('ann'), store.endUserId('bob'));
  assert.match(store.endUserId('ann'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
});
