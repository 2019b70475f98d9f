/**
 * Python code nodes in Pyodide, inside a worker thread so a runaway loop can be ended by
 * terminating the worker. One worker serves executions one at a time; it is restarted after
 * a timeout or when its WebAssembly memory grew past the limit.
 */
import { Worker } from 'node:worker_threads';
import { CodeExecutionError, type SandboxLimits } from './sandbox.js';

interface Job {
  id: number;
  code: string;
  args: Record<string, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

type WorkerReply = { type: 'ready' } | { type: 'result'; id: number; ok: true; json: string; heapBytes: number } | { type: 'result'; id: number; ok: false; error: string; heapBytes: number } | { type: 'fatal'; error: string };

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./python-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

export class PythonSandbox {
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #queue: Job[] = [];
  #current: Job | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  #closed = false;

  constructor(private readonly limits: SandboxLimits) {}

  ready(): Promise<void> {
    this.#ready ??= this.#start();
    return this.#ready;
  }

  run(code: string, args: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new CodeExecutionError('The Python sandbox is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, code, args, resolve, reject });
      void this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new CodeExecutionError('The Python sandbox is closed'));
    await this.#worker?.terminate();
    this.#worker = undefined;
  }

  #start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerEntry(), {
        // Pyodide's own heap is WebAssembly memory, capped inside the worker (maxHeapBytes); this caps the JS side.
        resourceLimits: { maxOldGenerationSizeMb: 256 },
        workerData: { maxHeapBytes: this.limits.memoryMb * 1024 * 1024 + BASE_HEAP_BYTES },
        stdout: true,
        stderr: true,
      });
      this.#worker = worker;
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'fatal') reject(new CodeExecutionError(`Python runtime failed to start: ${reply.error}`));
        else this.#finish(reply);
      });
      worker.on('error', (error) => {
        reject(error);
        this.#crash(`Python runtime crashed: ${error.message}`);
      });
      worker.on('exit', () => {
        if (this.#worker === worker) this.#crash('Python runtime exited');
      });
    });
  }

  async #pump(): Promise<void> {
    if (this.#current || this.#queue.length === 0) return;
    const job = this.#queue.shift()!;
    this.#current = job;
    try {
      await this.ready();
    } catch (error) {
      this.#current = undefined;
      job.reject(error instanceof Error ? error : new Error(String(error)));
      return void this.#pump();
    }
    this.#timer = setTimeout(() => this.#timeOut(job), this.limits.timeoutMs);
    this.#worker!.postMessage({ id: job.id, code: job.code, args: job.args });
  }

  #finish(reply: Extract<WorkerReply, { type: 'result' }>): void {
    const job = this.#current;
    if (!job || job.id !== reply.id) return;
    clearTimeout(this.#timer);
    this.#current = undefined;
    // The worker caps its heap, so running out shows as MemoryError; a fresh worker follows either way.
    if (reply.heapBytes > this.limits.memoryMb * 1024 * 1024 + BASE_HEAP_BYTES || (!reply.ok && /^MemoryError\b/.test(reply.error))) {
      job.reject(new CodeExecutionError(`Code execution exceeded the memory limit of ${this.limits.memoryMb} MB`));
      this.#restart();
    } else if (reply.ok) {
      job.resolve(JSON.parse(reply.json));
    } else {
      job.reject(new CodeExecutionError(reply.error));
    }
    void this.#pump();
  }

  #timeOut(job: Job): void {
    if (this.#current !== job) return;
    this.#current = undefined;
    job.reject(new CodeExecutionError(`Code execution timed out after ${this.limits.timeoutMs / 1000} s`));
    this.#restart();
    void this.#pump();
  }

  #crash(message: string): void {
    const job = this.#current;
    this.#current = undefined;
    this.#worker = undefined;
    this.#ready = undefined;
    job?.reject(new CodeExecutionError(message));
    if (!this.#closed) void this.#pump();
  }

  #restart(): void {
    const old = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    void old?.terminate();
  }
}

/** The worker script; from source (tests under tsx) a bootstrap registers the TypeScript loader first. */
function workerEntry(): URL {
  if (!FROM_SOURCE) return WORKER_URL;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(WORKER_URL.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** Pyodide's heap right after start-up (~ what CPython and the stdlib take). */
const BASE_HEAP_BYTES = 64 * 1024 * 1024;
