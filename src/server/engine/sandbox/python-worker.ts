/**
 * The Python worker: loads Pyodide, then removes every way out of the sandbox before running
 * user code — the JS globals that reach the host (process, fetch, require …) and the Python
 * modules that bridge to JS. Code runs as `main(**args)`; the result must be JSON-serialisable.
 */
import { parentPort } from 'node:worker_threads';
import { loadPyodide, type PyodideInterface } from 'pyodide';

const HOST_GLOBALS = ['process', 'require', 'fetch', 'XMLHttpRequest', 'WebSocket', 'Worker', 'importScripts', 'Deno', 'Bun', 'module', '__dirname', '__filename', 'global'];

const PRELUDE = `
import sys, json, builtins
_BLOCKED = {'js', 'pyodide_js', 'pyodide', 'pyodide.ffi', 'pyodide.code', 'pyodide.http', 'pyodide.webloop', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http'}
for _name in list(sys.modules):
    if _name in _BLOCKED or _name.split('.')[0] in ('js', 'pyodide_js', 'pyodide', '_pyodide', 'micropip'):
        del sys.modules[_name]
class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('js', 'pyodide_js', 'pyodide', '_pyodide', 'micropip', 'pyodide_http', 'ctypes', 'subprocess', 'socket'):
            raise ImportError(f"import of {name} is not allowed in the sandbox")
        return None
sys.meta_path.insert(0, _Blocker())
def __difyrun_run(code, args_json):
    namespace = {'__name__': '__main__'}
    exec(compile(code, 'main.py', 'exec'), namespace)
    main = namespace.get('main')
    if not callable(main):
        raise NameError('main function is not defined')
    return json.dumps(main(**json.loads(args_json)), ensure_ascii=False)
`;

async function start(): Promise<PyodideInterface> {
  const pyodide = await loadPyodide();
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
  const lines = message.trim().split('\n').filter((line) => line.trim() !== '');
  return lines[lines.length - 1] ?? message;
}
