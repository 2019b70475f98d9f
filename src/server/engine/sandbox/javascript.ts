/** JavaScript code nodes in QuickJS: a fresh context per run, memory-capped, interrupted at the deadline. */
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, shouldInterruptAfterDeadline, type QuickJSSyncVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import { CodeExecutionError, type SandboxLimits } from './sandbox.js';

let modulePromise: Promise<QuickJSWASMModule> | undefined;

export class JavaScriptSandbox {
  constructor(private readonly limits: SandboxLimits) {}

  async run(code: string, args: Record<string, unknown>): Promise<unknown> {
    modulePromise ??= newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant);
    const quickjs = await modulePromise;
    const runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryMb * 1024 * 1024);
    runtime.setMaxStackSize(1024 * 1024);
    const deadline = Date.now() + this.limits.timeoutMs;
    runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline));
    const context = runtime.newContext();
    try {
      // No host objects are passed in: the code sees only the JS language and a silent console.
      const program = `const console = { log() {}, info() {}, warn() {}, error() {}, debug() {} };\n${code}\n;` +
        `(() => { if (typeof main !== 'function') throw new Error('main function is not defined'); ` +
        `const __result = main(${JSON.stringify(args)}); ` +
        `return (__result && typeof __result.then === 'function') ? __result.then((v) => JSON.stringify(v ?? null)) : JSON.stringify(__result ?? null); })()`;
      const evaluated = context.evalCode(program, 'main.js');
      if (evaluated.error) {
        const error = context.dump(evaluated.error);
        evaluated.error.dispose();
        throw new CodeExecutionError(describeError(error, Date.now() >= deadline, this.limits));
      }
      let handle = evaluated.value;
      if (context.typeof(handle) === 'object') {
        // main() returned a promise: run its jobs to completion.
        const promise = context.resolvePromise(handle);
        handle.dispose();
        runtime.executePendingJobs();
        const settled = await promise;
        if (settled.error) {
          const error = context.dump(settled.error);
          settled.error.dispose();
          throw new CodeExecutionError(describeError(error, Date.now() >= deadline, this.limits));
        }
        handle = settled.value;
      }
      const json = context.getString(handle);
      handle.dispose();
      return JSON.parse(json) as unknown;
    } finally {
      context.dispose();
      runtime.dispose();
    }
  }
}

function describeError(error: unknown, timedOut: boolean, limits: SandboxLimits): string {
  const { name, message } = (error && typeof error === 'object' ? error : {}) as { name?: string; message?: string };
  if (message === 'out of memory') return `Code execution exceeded the memory limit of ${limits.memoryMb} MB`;
  if (timedOut || message === 'interrupted') return `Code execution timed out after ${limits.timeoutMs / 1000} s`;
  if (message !== undefined) return name ? `${name}: ${message}` : message;
  return String(error);
}
