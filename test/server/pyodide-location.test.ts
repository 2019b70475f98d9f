/**
 * Python code nodes work when source maps are on (NODE_OPTIONS=--enable-source-maps, as users and
 * tools set it): Pyodide is found by Node's resolver, not by its own guess from a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { pyodideDirectory } from '../../src/server/engine/sandbox/pyodide-location.js';
import { cli, tempDir } from '../helpers/batch-harness.js';

test("the directory holds Pyodide's runtime files", () => {
  for (const file of ['pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']) assert.ok(existsSync(pyodideDirectory() + file), file);
});

test("with source maps on, Pyodide's own guess of its directory fails (the failure this module exists for)", () => {
  const script = "import { loadPyodide } from 'pyodide'; await loadPyodide();";
  const child = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.notEqual(child.status, 0);
  assert.match(`${child.stdout}${child.stderr}`, /node_modules[\\/]src[\\/]js[\\/]pyodide\.asm\.js/);
});

test('NODE_OPTIONS=--enable-source-maps difyrun run --local on a workflow with a Python code node succeeds (issue 10)', async () => {
  const workflow = resolve('examples/workflows/translate-stream.yml');
  const run = await cli(['run', '--local', workflow, '--input', 'text=  Hello   world ', '--input', 'target_language=French'], {
    cwd: tempDir(),
    // Pyodide starts in full here, as it does for users (not from the suite's snapshot, python-snapshot.ts).
    env: { NODE_OPTIONS: '--enable-source-maps', DIFYRUN_PYODIDE_SNAPSHOT: '' },
  }).done;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /Clean text succeeded/);
  // The Python node collapsed the spaces and counted the characters.
  assert.deepEqual(JSON.parse(run.stdout), { translation: 'Translate into French: Hello world', chars: 11 });
});
