/** The output read back as a ledger: difyrun's own lines on the fast path, anything else parsed. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compactLedger } from '../../src/batch/record/compact.js';
import { readLedger, ROW_FAILED, ROW_SUCCEEDED, type LedgerLine } from '../../src/batch/record/ledger.js';
import { tempDir } from '../helpers/batch-harness.js';

const dir = tempDir();

test('last line per id wins, whatever the key order, escapes, BOM, CRLF or line length', async () => {
  const huge = 'x'.repeat(3 << 20); // longer than one read chunk
  const path = join(dir, 'ledger.jsonl');
  writeFileSync(
    path,
    [
      '\uFEFF{"id":"a","status":"failed","outputs":null}',
      '{"status":"success","id":"b"}', // key order of a hand-edited line
      '{"id":"quote\\"d","status":"success"}', // an escaped quote in the id
      '{"id":"日本","status":"success","outputs":{"text":"' + huge + '"}}\r',
      'not json',
      '',
      '{"id":"a","status":"success","workflow_run_id":"run-a","executed_at":"2026-01-01T00:00:00.000Z"}',
      '{"id":"b","status":"failed"}', // no trailing newline
    ].join('\n'),
  );
  const seen: LedgerLine[] = [];
  const ledger = await readLedger(
    path,
    (line) => seen.push(line),
    (id) => id === 'a',
  );
  assert.deepEqual(
    [...ledger.rows.entries()],
    [
      ['a', ROW_SUCCEEDED],
      ['b', ROW_FAILED],
      ['quote"d', ROW_SUCCEEDED],
      ['日本', ROW_SUCCEEDED],
    ],
  );
  assert.deepEqual(ledger.badLines, [5]);
  assert.equal(ledger.lines, 8);
  assert.deepEqual(
    seen.map((line) => line.workflow_run_id ?? null),
    [null, 'run-a'],
    'whole records only for the wanted ids',
  );

  const compacted = await compactLedger(path);
  assert.deepEqual(compacted, { linesBefore: 7, linesAfter: 5 });
  const after = readFileSync(path, 'utf8');
  assert.ok(after.startsWith('\uFEFF{"id":"quote'), 'the BOM is kept');
  assert.equal(after.split('\n').filter(Boolean).length, 5);
  assert.ok(after.includes(huge));
});

test('a missing output is an empty ledger, and nothing to compact', async () => {
  const ledger = await readLedger(join(dir, 'absent.jsonl'));
  assert.equal(ledger.rows.size, 0);
  assert.equal(await compactLedger(join(dir, 'absent.jsonl')), undefined);
});
