/**
 * Runs code-node code isolated from the host: no process, filesystem, network or module
 * access, with CPU-time and memory limits. JavaScript runs in QuickJS (WebAssembly);
 * Python (Dify's default) in Pyodide (CPython in WebAssembly) inside a worker thread.
 */
import { keepSnapshot, snapshotStart } from './python-snapshot.js';
import { WorkerSandbox } from './worker-sandbox.js';

export interface SandboxLimits {
  /** CPU/wall time per execution. */
  timeoutMs: number;
  /** Memory per execution. */
  memoryMb: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { timeoutMs: 10_000, memoryMb: 128 };

/** Raised for anything the user's code did wrong; the message is what Dify would show. */
export class CodeExecutionError extends Error {
  override name = 'CodeExecutionError';
}

/**
 * One Python runtime per process and set of limits, shared by every Sandbox (every server
 * started in the process): Pyodide takes seconds and ~100 MB to start, and runs one
 * execution at a time anyway. Closed when its last user closes.
 */
const sharedPython = new Map<string, { python: WorkerSandbox; users: number }>();

/** Pyodide's heap right after start-up (~ what CPython and the stdlib take). */
const PYODIDE_BASE_HEAP_BYTES = 64 * 1024 * 1024;

function pythonSandbox(limits: SandboxLimits): WorkerSandbox {
  const maxHeapBytes = limits.memoryMb * 1024 * 1024 + PYODIDE_BASE_HEAP_BYTES;
  return new WorkerSandbox(limits, {
    script: 'python-worker',
    runtime: 'Python',
    workerData: () => ({ maxHeapBytes, ...snapshotStart() }),
    keepSnapshot,
    // The worker caps its heap, so running out shows as MemoryError (or a heap past the cap).
    outOfMemory: (reply) => reply.heapBytes > maxHeapBytes || (!reply.ok && /^MemoryError\b/.test(reply.error ?? '')),
    graceMs: 0,
  });
}

function javaScriptSandbox(limits: SandboxLimits): WorkerSandbox {
  return new WorkerSandbox(limits, {
    script: 'javascript-worker',
    runtime: 'JavaScript',
    workerData: () => ({ limits }),
    outOfMemory: (reply) => !reply.ok && reply.error === 'out of memory',
    // QuickJS interrupts itself at the deadline; the worker is terminated only if it could not.
    graceMs: 500,
  });
}

function acquirePython(limits: SandboxLimits): WorkerSandbox {
  const key = JSON.stringify(limits);
  const entry = sharedPython.get(key) ?? { python: pythonSandbox(limits), users: 0 };
  entry.users++;
  sharedPython.set(key, entry);
  return entry.python;
}

async function releasePython(limits: SandboxLimits): Promise<void> {
  const key = JSON.stringify(limits);
  const entry = sharedPython.get(key);
  if (!entry || --entry.users > 0) return;
  sharedPython.delete(key);
  await entry.python.close();
}

export class Sandbox {
  readonly #limits: SandboxLimits;
  #javascript: WorkerSandbox | undefined;
  #python: WorkerSandbox | undefined;
  #closed = false;

  constructor(limits: Partial<SandboxLimits> = {}) {
    this.#limits = { ...DEFAULT_SANDBOX_LIMITS, ...limits };
  }

  /** Calls `main(args)` of JavaScript code and returns its result. */
  runJavaScript(code: string, args: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
    if (this.#closed) return Promise.reject(new CodeExecutionError('The JavaScript sandbox is closed'));
    this.#javascript ??= javaScriptSandbox(this.#limits);
    return this.#javascript.run(code, args, timeoutMs);
  }

  /** Calls `main(**args)` of Python code and returns its result. */
  runPython(code: string, args: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
    if (this.#closed) return Promise.reject(new CodeExecutionError('The Python sandbox is closed'));
    this.#python ??= acquirePython(this.#limits);
    return this.#python.run(code, args, timeoutMs);
  }

  /** Starts the Python runtime now (it takes a few seconds) so the first run is not slow. */
  warmPython(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#python ??= acquirePython(this.#limits);
    return this.#python.ready();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#javascript?.close();
    if (this.#python) await releasePython(this.#limits);
  }
}
