/**
 * The Python worker: loads Pyodide, then removes every way out of the sandbox before running
 * user code — the JS globals that reach the host (process, fetch, require …) and the Python
 * modules that bridge to JS. Code runs as `main(**args)`; the result must be JSON-serialisable.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPyodide, type PyodideInterface } from 'pyodide';
import { pyodideDirectory } from './pyodide-location.js';
import type { SnapshotStart } from './python-snapshot.js';

type PythonWorkerData = SnapshotStart & { maxHeapBytes: number };

/**
 * Emscripten's system() spawns a host shell through node:child_process: this worker may not
 * start processes at all (the Python-level block below gives the clean error; this is the wall).
 */
function forbidProcesses(): void {
  const childProcess = createRequire(import.meta.url)('node:child_process') as Record<string, unknown>;
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    childProcess[name] = () => {
      throw new Error('starting processes is not allowed in the sandbox');
    };
  }
  syncBuiltinESMExports();
}

/** Caps Pyodide's WebAssembly heap: past it, allocation fails and Python raises MemoryError. */
function capWasmMemory(maxBytes: number): void {
  const Original = WebAssembly.Memory;
  const maximum = Math.ceil(maxBytes / 65536);
  WebAssembly.Memory = function Memory(descriptor: WebAssembly.MemoryDescriptor) {
    const capped = descriptor.shared ? descriptor : { ...descriptor, maximum: Math.max(descriptor.initial, Math.min(descriptor.maximum ?? maximum, maximum)) };
    return new Original(capped);
  } as unknown as typeof WebAssembly.Memory;
  WebAssembly.Memory.prototype = Original.prototype;
}

const HOST_GLOBALS = [
  'process',
  'require',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'Worker',
  'importScripts',
  'Deno',
  'Bun',
  'module',
  '__dirname',
  '__filename',
  'global',
];

const PRELUDE = `
import sys, json, builtins
_BLOCKED_TOP = ('js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http', 'ctypes', '_ctypes', 'subprocess', '_posixsubprocess', 'socket', '_socket')
for _name in list(sys.modules):
    if _name.split('.')[0] in _BLOCKED_TOP:
        del sys.modules[_name]
class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in _BLOCKED_TOP:
            raise ImportError(f"import of {name} is not allowed in the sandbox")
        return None
sys.meta_path.insert(0, _Blocker())
import os, posix
def _no_processes(*args, **kwargs):
    raise PermissionError('starting processes is not allowed in the sandbox')
for _module in (os, posix):
    for _name in ('system', 'popen', 'posix_spawn', 'posix_spawnp', 'fork', 'forkpty', 'execv', 'execve', 'execl', 'execle', 'execlp', 'execlpe', 'execvp', 'execvpe', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe'):
        if hasattr(_module, _name):
            setattr(_module, _name, _no_processes)
_BUILTINS = dict(builtins.__dict__)
_dumps, _loads, _compile, _exec = json.dumps, json.loads, compile, exec
def __difyrun_run(code, args_json):
    try:
        namespace = {'__name__': '__main__'}
        _exec(_compile(code, 'main.py', 'exec'), namespace)
        main = namespace.get('main')
        if not callable(main):
            raise NameError('main function is not defined')
        return _dumps(main(**_loads(args_json)), ensure_ascii=False)
    finally:
        # One interpreter serves every run: what a run did to the builtins does not outlive it.
        if builtins.__dict__ != _BUILTINS:
            builtins.__dict__.clear()
            builtins.__dict__.update(_BUILTINS)
`;

/** Pyodide's snapshot header starts with this number (its restoreSnapshot checks it too, but only after sizing the heap from the file). */
const SNAPSHOT_MAGIC = 1886286592;

/** Whether the bytes can be handed to Pyodide: on anything else (a stray file) it aborts the worker instead of throwing. */
function looksLikeSnapshot(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 1024 * 1024 && bytes.byteLength % 4 === 0 && new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === SNAPSHOT_MAGIC;
}

/** Pyodide as it is right after loading: restored from a snapshot when given one (python-snapshot.ts). */
async function loadRuntime({ snapshot, makeSnapshot }: SnapshotStart): Promise<PyodideInterface> {
  const indexURL = pyodideDirectory();
  if (snapshot && !looksLikeSnapshot(snapshot)) return loadRuntime({ makeSnapshot: true });
  if (snapshot) {
    try {
      return await loadPyodide({ indexURL, _loadSnapshot: snapshot });
    } catch {
      // Another Pyodide build's snapshot (or not one at all): start in full and replace it.
      return loadRuntime({ makeSnapshot: true });
    }
  }
  const pyodide = await loadPyodide({ indexURL, _makeSnapshot: makeSnapshot });
  if (makeSnapshot) {
    const bytes = pyodide.makeMemorySnapshot();
    parentPort!.postMessage({ type: 'snapshot', bytes }, [bytes.buffer as ArrayBuffer]);
  }
  return pyodide;
}

async function start(): Promise<PyodideInterface> {
  const data = workerData as PythonWorkerData;
  forbidProcesses();
  capWasmMemory(data.maxHeapBytes);
  const pyodide = await loadRuntime(data);
  pyodide.runPython(PRELUDE);
  for (const name of HOST_GLOBALS) {
    try {
      delete (globalThis as Record<string, unknown>)[name];
    } catch {
      (globalThis as Record<string, unknown>)[name] = undefined;
    }
  }
  return pyodide;
}

const port = parentPort!;
start().then(
  (pyodide) => {
    const run = pyodide.globals.get('__difyrun_run') as (code: string, args: string) => string;
    port.postMessage({ type: 'ready' });
    port.on('message', (job: { id: number; code: string; args: Record<string, unknown> }) => {
      const heapBytes = () => (pyodide as unknown as { _module: { HEAP8: Int8Array } })._module.HEAP8.length;
      try {
        const json = run(job.code, JSON.stringify(job.args));
        port.postMessage({ type: 'result', id: job.id, ok: true, json, heapBytes: heapBytes() });
      } catch (error) {
        port.postMessage({ type: 'result', id: job.id, ok: false, error: pythonError(error), heapBytes: heapBytes() });
      }
    });
  },
  (error: unknown) => port.postMessage({ type: 'fatal', error: String(error) }),
);

/** The last line of a Python traceback ("NameError: name 'x' is not defined"). */
function pythonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '');
  return lines[lines.length - 1] ?? message;
}
