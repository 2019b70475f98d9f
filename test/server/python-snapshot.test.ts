/** The Pyodide start-up snapshot file (DIFYRUN_PYODIDE_SNAPSHOT): read when there, written whole, never required. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { keepSnapshot, snapshotStart } from '../../src/server/engine/sandbox/python-snapshot.js';
import { tempDir } from '../helpers/batch-harness.js';

const saved = process.env.DIFYRUN_PYODIDE_SNAPSHOT;
afterEach(() => {
  if (saved === undefined) delete process.env.DIFYRUN_PYODIDE_SNAPSHOT;
  else process.env.DIFYRUN_PYODIDE_SNAPSHOT = saved;
});

test('unset (or empty): every worker starts in full and nothing is written', () => {
  for (const value of [undefined, '']) {
    if (value === undefined) delete process.env.DIFYRUN_PYODIDE_SNAPSHOT;
    else process.env.DIFYRUN_PYODIDE_SNAPSHOT = value;
    assert.deepEqual(snapshotStart(), { makeSnapshot: false });
    keepSnapshot(new Uint8Array([1, 2, 3]));
  }
});

test('set: the first worker makes the snapshot, the file holds it whole, the next worker starts from it', () => {
  const dir = tempDir();
  const file = join(dir, 'pyodide.snapshot');
  process.env.DIFYRUN_PYODIDE_SNAPSHOT = file;
  assert.deepEqual(snapshotStart(), { makeSnapshot: true });
  const bytes = new Uint8Array(4096).map((_, i) => i % 251);
  keepSnapshot(bytes);
  assert.deepEqual(readdirSync(dir), ['pyodide.snapshot'], 'no partial file left beside it');
  assert.deepEqual(new Uint8Array(readFileSync(file)), bytes);
  const start = snapshotStart();
  assert.equal(start.makeSnapshot, false);
  assert.deepEqual(new Uint8Array(start.snapshot!), bytes);
});

test('a snapshot that cannot be written is only a cache: no error, no partial file', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a-file'), '');
  process.env.DIFYRUN_PYODIDE_SNAPSHOT = join(dir, 'a-file', 'pyodide.snapshot');
  assert.doesNotThrow(() => keepSnapshot(new Uint8Array([1, 2, 3])));
  assert.equal(existsSync(join(dir, 'a-file', 'pyodide.snapshot')), false);
  assert.deepEqual(readdirSync(dir), ['a-file']);
});
