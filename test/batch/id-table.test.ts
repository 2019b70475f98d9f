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
