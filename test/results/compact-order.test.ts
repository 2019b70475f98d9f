/** `batch --compact -i DATA`: one line per id in the input's order, nothing dropped. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compactLedger } from '../../src/batch/record/compact.js';
import { tempDir } from '../helpers/batch-harness.js';

const dir = tempDir('difyrun-compact-');

test('the last line of each id, in input order; unknown ids and non-records after, in file order; BOM kept', async () => {
  const output = join(dir, 'out.jsonl');
  const big = 'x'.repeat(3 << 20); // a line longer than a read chunk
  writeFileSync(
    output,
    [
      '\uFEFF{"id":"c","status":"failed"}',
      '{"id":"a","status":"success","n":1}',
      'not a record',
      '{"id":"zz","status":"success"}',
      `{"id":"c","status":"success","big":"${big}"}`,
      '{"id":"b","status":"failed"}\r',
      '{"id":"a","status":"success","n":2}',
    ].join('\n'),
  );
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'id,text\nb,1\na,2\nmissing,3\nc,4\na,5\n');
  assert.deepEqual(await compactLedger(output, { inputOrder: input }), { linesBefore: 7, linesAfter: 5 });
  const text = readFileSync(output, 'utf8');
  assert.ok(text.startsWith('\uFEFF'));
  const lines = text.slice(1).trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => (line.startsWith('{') ? (JSON.parse(line) as { id: string }).id : line)),
    ['b', 'a', 'c', 'not a record', 'zz'],
  );
  assert.equal((JSON.parse(lines[1]!) as { n: number }).n, 2, 'the last line of a wins');
  assert.ok(lines[2]!.includes(big));
  assert.equal(await compactLedger(join(dir, 'none.jsonl'), { inputOrder: input }), undefined);
});
