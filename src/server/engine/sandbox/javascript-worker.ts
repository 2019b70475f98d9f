/**
 * The JavaScript worker: runs code-node code in QuickJS (WebAssembly), a fresh runtime per
 * execution with a memory cap and an interrupt at the deadline. QuickJS checks for
 * interrupts only between bytecodes, so code stuck in a native call near its memory cap can
 * overrun the deadline: that is why this runs in a worker the host terminates.
 */
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, shouldInterruptAfterDeadline, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import { parentPort, workerData } from 'node:worker_threads';

const limits = (workerData as { limits: { memoryMb: number } }).limits;
const port = parentPort!;
const quickjs = await newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant);

class UserCodeError extends Error {}

async function run(code: string, args: Record<string, unknown>, timeoutMs: number): Promise<string> {
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryMb * 1024 * 1024);
  runtime.setMaxStackSize(1024 * 1024);
  const deadline = Date.now() + timeoutMs;
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline));
  const context = runtime.newContext();
  try {
    // No host objects are passed in: the code sees only the JS language and a silent console.
    const program =
      `const console = { log() {}, info() {}, warn() {}, error() {}, debug() {} };\n${code}\n;` +
      `(() => { if (typeof main !== 'function') throw new Error('main function is not defined'); ` +
      `const __result = main(${JSON.stringify(args)}); ` +
      `return (__result && typeof __result.then === 'function') ? __result.then((v) => JSON.stringify(v ?? null)) : JSON.stringify(__result ?? null); })()`;
    const evaluated = context.evalCode(program, 'main.js');
    if (evaluated.error) {
      const error = context.dump(evaluated.error);
      evaluated.error.dispose();
      throw new UserCodeError(describeError(error, Date.now() >= deadline, timeoutMs));
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
        throw new UserCodeError(describeError(error, Date.now() >= deadline, timeoutMs));
      }
      handle = settled.value;
    }
    const json = context.getString(handle);
    handle.dispose();
    return json;
  } finally {
    context.dispose();
    runtime.dispose();
  }
}

function describeError(error: unknown, timedOut: boolean, timeoutMs: number): string {
  const { name, message } = (error && typeof error === 'object' ? error : {}) as { name?: string; message?: string };
  if (message === 'out of memory') return OUT_OF_MEMORY;
  if (timedOut || message === 'interrupted') return `Code execution timed out after ${timeoutMs / 1000} s`;
  if (message !== undefined) return name ? `${name}: ${message}` : message;
  return String(error);
}

const OUT_OF_MEMORY = 'out of memory';

port.on('message', (job: { id: number; code: string; args: Record<string, unknown>; timeoutMs: number }) => {
  run(job.code, job.args, job.timeoutMs).then(
    (json) => port.postMessage({ type: 'result', id: job.id, ok: true, json, heapBytes: 0 }),
    (error: unknown) =>
      port.postMessage({ type: 'result', id: job.id, ok: false, error: error instanceof Error ? error.message : String(error), heapBytes: 0 }),
  );
});
port.postMessage({ type: 'ready' });
