/**
 * Where Pyodide's files (pyodide.asm.js/.wasm, the stdlib zip, the lock file) are.
 * Left to itself Pyodide guesses the directory from an Error's stack trace, which source
 * maps (--enable-source-maps, set by users and tools) rewrite to its original src/js/ path,
 * so it then looks for node_modules/src/js/pyodide.asm.js. Node's resolver is right however
 * stack traces look.
 */
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export function pyodideDirectory(): string {
  return dirname(fileURLToPath(import.meta.resolve('pyodide'))) + sep;
}
