/** Python code nodes work when source maps are on (NODE_OPTIONS=--enable-source-maps): Pyodide is found by Node's resolver, not a stack trace. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { pyodideDirectory } from '../../src/server/engine/sandbox/pyodide-location.js';

/** Loads Pyodide in a plain Node process with source maps on, as the built CLI runs under NODE_OPTIONS=--enable-source-maps. */
function loadWithSourceMaps(options: string): { status: number | null; output: string } {
  const script = `import { loadPyodide } from 'pyodide'; const py = await loadPyodide(${options}); console.log('result', py.runPython('6 * 7'));`;
  const child = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
  return { status: child.status, output: `${child.stdout}${child.stderr}` };
}

test("the directory holds Pyodide's runtime files", () => {
  for (const file of ['pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']) assert.ok(existsSync(pyodideDirectory() + file), file);
});

test("with source maps on, Pyodide's own guess fails and the resolved directory works", () => {
  const guessed = loadWithSourceMaps('');
  assert.notEqual(guessed.status, 0);
  assert.match(guessed.output, /node_modules[\\/]src[\\/]js[\\/]pyodide\.asm\.js/, 'the failure this module exists for');
  const resolved = loadWithSourceMaps(JSON.stringify({ indexURL: pyodideDirectory() }));
  assert.equal(resolved.status, 0, resolved.output);
  assert.match(resolved.output, /result 42/);
});
