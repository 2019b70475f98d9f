/** Code nodes run isolated from the host: no processes, files, network or modules; time and memory limits. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Sandbox } from '../../src/server/engine/sandbox/sandbox.js';
import { tempDir } from '../helpers/batch-harness.js';

// A generous limit so ordinary checks hold on a loaded machine; the time-limit checks pass a short one.
const sandbox = new Sandbox({ timeoutMs: 30_000, memoryMb: 64 });
const SHORT_MS = 500;
after(() => sandbox.close());
const marker = join(tempDir(), 'escaped');

const python = (body: string) => sandbox.runPython(`${body}\n`, {});
const javascript = (body: string) => sandbox.runJavaScript(body, {});

describe('python3 (Pyodide in a worker)', () => {
  test('runs main(**args) and returns its dict', async () => {
    assert.deepEqual(
      await sandbox.runPython("def main(a: int, s: str) -> dict:\n    return {'double': a * 2, 'echo': s.upper()}", { a: 21, s: 'héllo 日本' }),
      { double: 42, echo: 'HÉLLO 日本' },
    );
  });

  test('no processes: os.system, subprocess, a reloaded posix', async () => {
    await assert.rejects(
      python(`import os\ndef main():\n    return {'r': os.system('touch ${marker}')}`),
      /PermissionError: starting processes is not allowed/,
    );
    await assert.rejects(
      python(`import importlib, posix\ndef main():\n    importlib.reload(posix)\n    return {'r': posix.system('touch ${marker}')}`),
      /not allowed in the sandbox/,
    );
    await assert.rejects(python('import subprocess\ndef main():\n    return {}'), /ImportError: import of subprocess is not allowed/);
    assert.equal(existsSync(marker), false, 'nothing ran on the host');
  });

  test('no host files, no network, no bridge to JavaScript', async () => {
    await assert.rejects(python("def main():\n    return {'r': open('/etc/passwd').read()}"), /FileNotFoundError/);
    await assert.rejects(
      python("import urllib.request\ndef main():\n    return {'r': urllib.request.urlopen('http://127.0.0.1:9/').read()}"),
      /import of socket is not allowed/,
    );
    for (const module of ['js', 'pyodide', 'pyodide_js', '_pyodide_core', 'socket', 'ctypes']) {
      await assert.rejects(python(`def main():\n    import ${module}\n    return {}`), new RegExp(`import of ${module} is not allowed`));
    }
    await assert.rejects(python("import importlib\ndef main():\n    return {'r': str(importlib.import_module('js'))}"), /import of js is not allowed/);
  });

  test("a run's changes to the builtins do not reach the next run", async () => {
    await python("import builtins\ndef main():\n    builtins.len = lambda value: 42\n    builtins.sneaky = 1\n    return {'len': len('abc')}");
    assert.deepEqual(await python("import builtins\ndef main():\n    return {'len': len('abc'), 'sneaky': hasattr(builtins, 'sneaky')}"), {
      len: 3,
      sneaky: false,
    });
    // Nor does replacing json.dumps break how later results are returned.
    await python("import json\ndef main():\n    json.dumps = lambda *a, **k: 'broken'\n    return {}");
    assert.deepEqual(await python("def main():\n    return {'ok': [1, '日本']}"), { ok: [1, '日本'] });
  });

  test('CPU time and memory limits; the sandbox keeps working afterwards', async () => {
    await assert.rejects(sandbox.runPython('def main():\n    while True:\n        pass\n', {}, SHORT_MS), /Code execution timed out after 0.5 s/);
    await assert.rejects(
      python("def main():\n    x = []\n    while True:\n        x.append('x' * 10_000_000)"),
      /Code execution exceeded the memory limit of 64 MB/,
    );
    assert.deepEqual(await python("def main():\n    return {'ok': True}"), { ok: true });
  });
});

describe('javascript (QuickJS)', () => {
  test('no require, process, fetch or module imports, even through the Function constructor', async () => {
    assert.deepEqual(await javascript('function main() { return { r: [typeof require, typeof process, typeof fetch, typeof globalThis.process].join() } }'), {
      r: 'undefined,undefined,undefined,undefined',
    });
    assert.deepEqual(await javascript("function main() { return { r: (function () {}).constructor('return typeof process')() } }"), { r: 'undefined' });
    await assert.rejects(javascript("async function main() { const fs = await import('fs'); return { r: String(fs) } }"), /could not load module 'fs'/);
  });

  test('CPU time and memory limits', async () => {
    await assert.rejects(sandbox.runJavaScript('function main() { while (true) {} }', {}, SHORT_MS), /Code execution timed out after 0.5 s/);
    await assert.rejects(
      javascript("function main() { return { n: 'x'.repeat(100 * 1024 * 1024).length } }"),
      /Code execution exceeded the memory limit of 64 MB/,
    );
    assert.deepEqual(await javascript('function main() { return { ok: 1 } }'), { ok: 1 });
  });

  test('the time limit holds under memory pressure (QuickJS stuck in native calls near its cap)', async () => {
    // Each 'x'.repeat(1e6) is one native call; QuickJS's own interrupt check barely runs, so the host ends it.
    const bomb = sandbox.runJavaScript("function main() { const a = []; while (true) a.push('x'.repeat(1e6)); }", {}, SHORT_MS);
    await assert.rejects(bomb, /Code execution (timed out after 0.5 s|exceeded the memory limit of 64 MB)/);
    assert.deepEqual(await javascript('function main() { return { after: true } }'), { after: true });
  });

  test('a long JavaScript run does not block the server: other work goes on meanwhile', async () => {
    // A timer due long before the run's deadline fires while the run is still going; were the
    // run on this thread, the timer could only fire after it settled. (No count of ticks: that
    // would depend on how much CPU a loaded machine gives this thread.)
    let settled = false;
    const timerRan = new Promise<boolean>((resolve) => setTimeout(() => resolve(!settled), 10));
    await assert.rejects(
      sandbox.runJavaScript('function main() { while (true) {} }', {}, SHORT_MS).finally(() => (settled = true)),
      /timed out/,
    );
    assert.equal(await timerRan, true, 'the timer ran while the code was running');
  });
});
