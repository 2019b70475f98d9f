/** The SQLite store's end users: looked up in the database (not all kept in memory), written with the runs' group commit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { tempDir } from '../helpers/batch-harness.js';

test('an end user keeps its id within a turn, after the group commit and after a restart; users differ', async () => {
  const dir = tempDir();
  let store = SqliteStore.open(dir);
  const ann = store.endUserId('ann');
  assert.equal(store.endUserId('ann'), ann); // still pending
  await new Promise((resolve) => setImmediate(resolve)); // the group commit
  assert.equal(store.endUserId('ann'), ann);
  const bob = store.endUserId('bob');
  assert.notEqual(bob, ann);
  store.close();
  store = SqliteStore.open(dir);
  try {
    assert.equal(store.endUserId('ann'), ann);
    assert.equal(store.endUserId('bob'), bob); // written by close() although no run was
  } finally {
    store.close();
  }
});
