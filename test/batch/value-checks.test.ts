/**
 * ValueChecks: the pre-flight's value checks start before GET /parameters answers. Rows wait
 * (at most WAITING_ROWS), are checked in file order once the form arrives, and a failed
 * /parameters is what flush() throws.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowPreparer } from '../../src/batch/prepare/row-preparer.js';
import { ValueChecks, WAITING_CHARS, WAITING_ROWS } from '../../src/batch/input/value-checks.js';
import type { InputRow } from '../../src/batch/input/read-rows.js';
import { deferred } from '../../src/client/deferred.js';
import type { InputVariable } from '../../src/protocol/index.js';

const VARIABLES: InputVariable[] = [
  { type: 'text-input', variable: 'name', label: 'Name', required: true, max_length: 5, options: [] },
  { type: 'select', variable: 'language', label: 'Language', required: false, options: ['English', 'Japanese'] },
] as InputVariable[];

const row = (line: number, values: Record<string, unknown>): InputRow => ({ kind: 'row', id: `r${line}`, line, values });

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    findings: {
      invalid: (r: InputRow, message: string) => void seen.push(`${r.line} invalid: ${message}`),
      valid: (r: InputRow) => void seen.push(`${r.line} valid`),
    },
  };
}

test('rows seen before the form arrives wait, then every row is checked in file order', async () => {
  const form = deferred<RowPreparer>();
  const { seen, findings } = recorder();
  const checks = new ValueChecks(form.promise, findings);
  assert.equal(checks.add(row(2, { name: 'Ann' })), false);
  assert.equal(checks.add(row(3, { name: 'Too long a name' })), false);
  assert.deepEqual(seen, [], 'nothing is judged without the form');
  form.resolve(new RowPreparer(VARIABLES, '/tmp'));
  await form.promise;
  await Promise.resolve();
  // The form is in: the next row is checked at once, after the two that waited.
  checks.add(row(4, { name: 'Bo', language: 'French', extra: 1 }));
  assert.equal(seen.length, 3);
  await checks.flush();
  assert.equal(seen[0], '2 valid');
  assert.match(seen[1]!, /^3 invalid: column "name": /);
  assert.match(seen[2]!, /^4 invalid: column "language": /);
  assert.deepEqual([...checks.undeclared], ['extra']);
});

test('add() asks the scan to wait once WAITING_ROWS rows are kept', async () => {
  const form = deferred<RowPreparer>();
  const { seen, findings } = recorder();
  const checks = new ValueChecks(form.promise, findings);
  for (let line = 1; line < WAITING_ROWS; line++) assert.equal(checks.add(row(line, { name: 'Ann' })), false);
  assert.equal(checks.add(row(WAITING_ROWS, { name: 'Ann' })), true);
  const flushed = checks.flush();
  form.resolve(new RowPreparer(VARIABLES, '/tmp'));
  await flushed;
  assert.equal(seen.length, WAITING_ROWS);
  assert.equal(seen.at(-1), `${WAITING_ROWS} valid`);
});

test('large rows make the scan wait sooner: at most WAITING_CHARS of values are kept', () => {
  const { findings } = recorder();
  const checks = new ValueChecks(new Promise<RowPreparer>(() => {}), findings);
  const big = 'x'.repeat(WAITING_CHARS / 4);
  for (let line = 1; line < 4; line++) assert.equal(checks.add(row(line, { name: big })), false);
  assert.equal(checks.add(row(4, { name: big })), true);
  // A JSONL row's nested values count as their JSON.
  const nested = new ValueChecks(new Promise<RowPreparer>(() => {}), findings);
  assert.equal(nested.add(row(1, { name: { text: 'x'.repeat(WAITING_CHARS) } })), true);
});

test('a form already at hand checks each row as it comes', () => {
  const { seen, findings } = recorder();
  const checks = new ValueChecks(new RowPreparer(VARIABLES, '/tmp'), findings);
  checks.add(row(1, { name: 'Ann' }));
  assert.deepEqual(seen, ['1 valid']);
});

test('flush() throws what GET /parameters threw', async () => {
  const form = deferred<RowPreparer>();
  const { seen, findings } = recorder();
  const checks = new ValueChecks(form.promise, findings);
  checks.add(row(1, { name: 'Ann' }));
  form.reject(new Error('The API key was rejected'));
  await assert.rejects(checks.flush(), /The API key was rejected/);
  assert.deepEqual(seen, []);
});
