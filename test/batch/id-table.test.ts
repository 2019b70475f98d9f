/** The compact id table: exact, whatever the id's length or script. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdTable } from '../../src/batch/input/id-table.js';

test('exact lookups for ASCII, CJK, emoji and very long ids, across growth; bytes and strings agree', () => {
  const table = new IdTable();
  const ids = Array.from({ length: 5000 }, (_, i) => (i % 4 === 0 ? `row${i}` : i % 4 === 1 ? `行${i}😀` : i % 4 === 2 ? `${'x'.repeat(300)}${i}` : `id-${i}`));
  ids.forEach((id, i) => assert.equal(table.setIfAbsent(id, i), undefined));
  ids.forEach((id, i) => assert.equal(table.get(id), i));
  assert.equal(table.setIfAbsent(ids[7]!, 99), 7, 'setIfAbsent keeps the first');
  assert.equal(table.get('row1'), undefined);
  const bytes = Buffer.from(`__${ids[2]}__`);
  assert.equal(table.setBytes(bytes, 2, bytes.length - 2, 99_999), 2, 'the same id given as bytes');
  assert.equal(table.get(ids[2]!), 99_999);
  assert.equal(table.size, 5000);
  assert.deepEqual(table.idsWith(99_999), [ids[2]]);
  assert.deepEqual([...table.entries()].slice(0, 2), [
    [ids[0], 0],
    [ids[1], 1],
  ]);
});

test('entries keep their numbers across growth and reserve; a lookup that missed sees the id once it is added', () => {
  const table = new IdTable();
  assert.equal(table.entryOf('late'), -1);
  assert.equal(table.get('late'), undefined);
  table.set('late', 7);
  assert.equal(table.entryOf('late'), 0, 'the missed lookup is not remembered');
  assert.equal(table.get('late'), 7);
  table.reserve(10, 4); // smaller than a growth already made: nothing moves
  for (let i = 0; i < 3000; i++) table.setIfAbsent(`id-${i}`, i);
  table.reserve(50_000, 9); // the ids already in survive the resize
  for (let i = 3000; i < 60_000; i++) {
    const bytes = Buffer.from(`id-${i}`);
    table.setBytes(bytes, 0, bytes.length, i);
    assert.equal(table.lastEntry, i + 1);
  }
  assert.equal(table.size, 60_001);
  for (const i of [0, 2999, 3000, 49_999, 59_999]) {
    assert.equal(table.entryOf(`id-${i}`), i + 1);
    assert.equal(table.get(`id-${i}`), i);
  }
  table.set('id-5', 55);
  assert.equal(table.lastEntry, 6, 'an update reports the entry it found');
  assert.deepEqual([...table.entries()].slice(0, 3), [
    ['late', 7],
    ['id-0', 0],
    ['id-1', 1],
  ]);
});

test('one id looked up in two tables gets each its own answer (the encoded id is shared, not the entry)', () => {
  const first = new IdTable();
  const second = new IdTable();
  first.set('a', 1);
  second.set('b', 2);
  second.set('a', 3);
  assert.equal(first.entryOf('a'), 0);
  assert.equal(second.entryOf('a'), 1);
  assert.equal(first.get('a'), 1);
  assert.equal(second.get('a'), 3);
  assert.equal(first.get('b'), undefined);
});
