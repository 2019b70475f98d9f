/**
 * Runs code-node code isolated from the host: no process, filesystem, network or module
 * access, with CPU-time and memory limits. JavaScript runs in QuickJS (WebAssembly);
 * Python (Dify's default) in Pyodide (CPython in WebAssembly) inside a worker thread.
 */
import { JavaScriptSandbox } from './javascript.js';
import { PythonSandbox } from './python.js';

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

export class Sandbox {
  readonly #limits: SandboxLimits;
  #javascript: JavaScriptSandbox | undefined;
  #python: PythonSandbox | undefined;

  constructor(limits: Partial<SandboxLimits> = {}) {
    this.#limits = { ...DEFAULT_SANDBOX_LIMITS, ...limits };
  }

  /** Calls `main(args)` of JavaScript code and returns its result. */
  runJavaScript(code: string, args: Record<string, unknown>): Promise<unknown> {
    this.#javascript ??= new JavaScriptSandbox(this.#limits);
    return this.#javascript.run(code, args);
  }

  /** Calls `main(**args)` of Python code and returns its result. */
  runPython(code: string, args: Record<string, unknown>): Promise<unknown> {
    this.#python ??= new PythonSandbox(this.#limits);
    return this.#python.run(code, args);
  }

  /** Starts the Python runtime now (it takes a few seconds) so the first run is not slow. */
  warmPython(): Promise<void> {
    this.#python ??= new PythonSandbox(this.#limits);
    return this.#python.ready();
  }

  async close(): Promise<void> {
    await this.#python?.close();
  }
}
