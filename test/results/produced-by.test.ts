/** What produced each row, read back from the output: fingerprints and versions from the line's end. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProducedBy, producedByOfLine } from '../../src/batch/record/produced-by.js';
import { outcomeLine, type OutcomeRecord } from '../../src/batch/record/outcome.js';

const record = (fields: Partial<OutcomeRecord>): OutcomeRecord => ({
  id: 'r1',
  status: 'success',
  inputs: { id: 'r1' },
  outputs: { input_fingerprint: 'trap', workflow_id: 'trap' },
  workflow_run_id: 'run',
  executed_at: '2026-01-01T00:00:00.000Z',
  retry_count: 0,
  task_id: null,
  workflow_status: 'succeeded',
  error: null,
  elapsed_time: 1,
  total_tokens: 1,
  total_price: null,
  currency: null,
  latency_ms: 5,
  attempts: 1,
  ...fields,
});

test('outcome lines end with workflow_id and input_fingerprint, read back without parsing the line', () => {
  const line = outcomeLine(record({ input_fingerprint: '0123456789abcdef', workflow_id: '9f3a1c2e-0000-4000-8000-000000000001', assertions: [] }));
  assert.match(line, /,"workflow_id":"9f3a1c2e-0000-4000-8000-000000000001","input_fingerprint":"0123456789abcdef"\}\n$/);
  const bytes = Buffer.from(line.trimEnd());
  assert.deepEqual(producedByOfLine(bytes, 0, bytes.length), { fingerprint: '0123456789abcdef', workflowId: '9f3a1c2e-0000-4000-8000-000000000001' });
  const noVersion = Buffer.from(outcomeLine(record({ input_fingerprint: 'fedcba9876543210' })).trimEnd());
  assert.deepEqual(producedByOfLine(noVersion, 0, noVersion.length), { fingerprint: 'fedcba9876543210', workflowId: null });
  const old = Buffer.from(outcomeLine(record({})).trimEnd());
  assert.equal(producedByOfLine(old, 0, old.length), undefined, 'a line from before fingerprints');
  const edited = Buffer.from('{"id":"r1","status":"success","input_fingerprint":"0123456789abcdef"}');
  assert.equal(producedByOfLine(edited, 0, edited.length), undefined, 'hand-written lines are parsed instead');
});

test('the latest success line of an id wins; fingerprints are exact; versions are counted per row', () => {
  const produced = new ProducedBy();
  produced.note('a', '0123456789abcdef', 'v1');
  produced.table.setBytes(Buffer.from('xx"b"yy'), 3, 4, 1);
  produced.noteEntry(produced.table.lastEntry, 'ffffffff00000001', 'v1');
  produced.note('c', undefined, null);
  produced.note('a', '8000000000000000', 'v2');
  for (let i = 0; i < 3000; i++) produced.note(`row-${i}`, i.toString(16).padStart(16, '0'), i % 2 ? 'v2' : 'v1');
  assert.equal(produced.fingerprintOf('a'), '8000000000000000');
  assert.equal(produced.fingerprintOf('b'), 'ffffffff00000001');
  assert.equal(produced.fingerprintOf('c'), undefined);
  assert.equal(produced.fingerprintOf('row-2999'), (2999).toString(16).padStart(16, '0'));
  assert.equal(produced.fingerprintOf('nope'), undefined);
  assert.equal(produced.versionOf('a'), 'v2');
  assert.equal(produced.versionOf('c'), undefined);
  assert.deepEqual(
    produced.versionCounts(),
    new Map([
      ['v1', 1501],
      ['v2', 1501],
    ]),
  );
  assert.equal(produced.latestVersion, 'v2');
});

test('the ledger fills it: own lines from their end, other lines parsed, failures ignored, last success wins', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { readLedger } = await import('../../src/batch/record/ledger.js');
  const { tempDir } = await import('../helpers/batch-harness.js');
  const path = join(tempDir('difyrun-produced-'), 'out.jsonl');
  writeFileSync(
    path,
    [
      outcomeLine(record({ id: 'a', input_fingerprint: '1111111111111111', workflow_id: 'v1' })),
      outcomeLine(record({ id: 'a', input_fingerprint: '2222222222222222', workflow_id: 'v2' })),
      outcomeLine(record({ id: 'b', status: 'failed', input_fingerprint: '3333333333333333', workflow_id: 'v2' })),
      '{"status":"success","id":"c","input_fingerprint":"4444444444444444","workflow_id":"v1"}\n',
    ].join(''),
  );
  const produced = new ProducedBy();
  await readLedger(path, undefined, undefined, produced);
  assert.equal(produced.fingerprintOf('a'), '2222222222222222');
  assert.equal(produced.fingerprintOf('b'), undefined);
  assert.equal(produced.fingerprintOf('c'), '4444444444444444');
  assert.deepEqual(
    produced.versionCounts(),
    new Map([
      ['v2', 1],
      ['v1', 1],
    ]),
  );
});

test('version counts follow each id to its latest line, over a ledger big enough to be sized from its first lines', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { readLedger, ROW_FAILED, ROW_SUCCEEDED } = await import('../../src/batch/record/ledger.js');
  const { tempDir } = await import('../helpers/batch-harness.js');
  const path = join(tempDir('difyrun-produced-'), 'out.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) lines.push(outcomeLine(record({ id: `r${i}`, input_fingerprint: '1111111111111111', workflow_id: 'v1' })));
  // Later lines move 1,000 rows to v2 and fail 10 of them (their last success still counts).
  for (let i = 0; i < 1000; i++) lines.push(outcomeLine(record({ id: `r${i}`, input_fingerprint: '2222222222222222', workflow_id: 'v2' })));
  for (let i = 0; i < 10; i++) lines.push(outcomeLine(record({ id: `r${i}`, status: 'failed', workflow_id: 'v3' })));
  writeFileSync(path, lines.join(''));
  for (const inFlight of [false, true]) {
    const produced = new ProducedBy();
    const ledger = await readLedger(path, inFlight ? () => {} : undefined, () => false, produced);
    assert.equal(ledger.rows, produced.table, 'one table for both');
    assert.equal(ledger.rows.size, 5000);
    assert.equal(ledger.rows.get('r5'), ROW_FAILED);
    assert.equal(ledger.rows.get('r15'), ROW_SUCCEEDED);
    assert.equal(produced.fingerprintOf('r5'), '2222222222222222');
    assert.equal(produced.fingerprintOf('r4999'), '1111111111111111');
    assert.deepEqual(
      produced.versionCounts(),
      new Map([
        ['v1', 4000],
        ['v2', 1000],
      ]),
    );
  }
});

test('read from the bytes: versions that alternate, a null version, and tails that are not difyrun’s own note no fingerprint', () => {
  const produced = new ProducedBy();
  const lines: [string, Partial<OutcomeRecord>][] = [
    ['a', { input_fingerprint: 'aaaaaaaaaaaaaaaa', workflow_id: 'v1' }],
    ['b', { input_fingerprint: 'bbbbbbbbbbbbbbbb', workflow_id: 'v2' }],
    ['c', { input_fingerprint: 'cccccccccccccccc', workflow_id: 'v1' }],
    ['d', { input_fingerprint: 'dddddddddddddddd', workflow_id: null }],
    ['e', { input_fingerprint: 'EEEEEEEEEEEEEEEE', workflow_id: 'v1' }], // not lowercase hex: not difyrun's
    ['f', { input_fingerprint: 'ffffffffffffffff', workflow_id: 'v\\3' }], // an escape in the version
  ];
  const noted = lines.map(([id, fields]) => {
    produced.table.set(id, 1);
    const bytes = Buffer.from(outcomeLine(record({ id, ...fields })).trimEnd());
    return produced.noteLine(produced.table.lastEntry, bytes, 0, bytes.length);
  });
  assert.deepEqual(noted, [true, true, true, true, false, false]);
  assert.equal(produced.fingerprintOf('c'), 'cccccccccccccccc');
  assert.equal(produced.versionOf('c'), 'v1');
  assert.equal(produced.versionOf('d'), undefined);
  assert.equal(produced.fingerprintIs('b', 'bbbbbbbbbbbbbbbb'), true);
  assert.equal(produced.fingerprintIs('b', 'bbbbbbbbbbbbbbbc'), false);
  assert.equal(produced.hasFingerprint('e'), false);
  assert.deepEqual(
    produced.versionCounts(),
    new Map([
      ['v1', 2],
      ['v2', 1],
    ]),
  );
  assert.equal(produced.latestVersion, 'v1');
});
