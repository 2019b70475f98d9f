/**
 * Runs code-node code in a worker thread, so the time limit holds whatever the code does
 * (the worker is terminated at the deadline) and the server's event loop never waits on it.
 * One worker serves executions one at a time; it is restarted after a timeout or when the
 * execution ran out of memory. The worker script (python-worker, javascript-worker) answers
 * {type:'ready'} once loaded and {type:'result', id, ok, json | error, heapBytes} per job
 * (python-worker may send {type:'snapshot', bytes} before 'ready': python-snapshot.ts).
 */
import { Worker } from 'node:worker_threads';
import { CodeExecutionError, type SandboxLimits } from './sandbox.js';

interface Job {
  id: number;
  timeoutMs: number;
  code: string;
  args: Record<string, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; ok: true; json: string; heapBytes: number }
  | { type: 'result'; id: number; ok: false; error: string; heapBytes: number }
  | { type: 'fatal'; error: string }
  | { type: 'snapshot'; bytes: Uint8Array };

const FROM_SOURCE = import.meta.url.endsWith('.ts');

export interface WorkerSpec {
  /** The worker module next to this one, without extension. */
  script: 'python-worker' | 'javascript-worker';
  /** Read by the worker (its own limits), asked for at each start. */
  workerData(): Record<string, unknown>;
  /** Keeps a start-up snapshot a worker sent ({type:'snapshot'}) for the workers after it. */
  keepSnapshot?(bytes: Uint8Array): void;
  /** Names the runtime in errors ("Python runtime failed to start"). */
  runtime: string;
  /** True when the execution ran out of memory (the worker is then replaced). */
  outOfMemory(reply: { ok: boolean; error?: string; heapBytes: number }): boolean;
  /** Extra time before the worker is terminated, for runtimes that stop themselves at the deadline. */
  graceMs: number;
}

export class WorkerSandbox {
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #queue: Job[] = [];
  #current: Job | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  #closed = false;

  constructor(
    private readonly limits: SandboxLimits,
    private readonly spec: WorkerSpec,
  ) {}

  ready(): Promise<void> {
    this.#ready ??= this.#start();
    return this.#ready;
  }

  /** Runs `main` of the code; timeoutMs overrides the sandbox's time limit for this execution. */
  run(code: string, args: Record<string, unknown>, timeoutMs = this.limits.timeoutMs): Promise<unknown> {
    if (this.#closed) return Promise.reject(new CodeExecutionError(`The ${this.spec.runtime} sandbox is closed`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, timeoutMs, code, args, resolve, reject });
      void this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new CodeExecutionError(`The ${this.spec.runtime} sandbox is closed`));
    await this.#worker?.terminate();
    this.#worker = undefined;
  }

  #start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerEntry(this.spec.script), {
        // The runtime's own heap is WebAssembly memory, capped inside the worker; this caps the JS side.
        resourceLimits: { maxOldGenerationSizeMb: 256 },
        workerData: this.spec.workerData(),
        stdout: true,
        stderr: true,
      });
      this.#worker = worker;
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'snapshot') this.spec.keepSnapshot?.(reply.bytes);
        else if (reply.type === 'fatal') reject(new CodeExecutionError(`${this.spec.runtime} runtime failed to start: ${reply.error}`));
        else this.#finish(reply);
      });
      worker.on('error', (error) => {
        reject(error);
        this.#crash(`${this.spec.runtime} runtime crashed: ${error.message}`);
      });
      worker.on('exit', () => {
        if (this.#worker === worker) this.#crash(`${this.spec.runtime} runtime exited`);
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
    this.#timer = setTimeout(() => this.#timeOut(job), job.timeoutMs + this.spec.graceMs);
    this.#worker!.postMessage({ id: job.id, code: job.code, args: job.args, timeoutMs: job.timeoutMs });
  }

  #finish(reply: Extract<WorkerReply, { type: 'result' }>): void {
    const job = this.#current;
    if (!job || job.id !== reply.id) return;
    clearTimeout(this.#timer);
    this.#current = undefined;
    // A fresh worker follows running out of memory.
    if (this.spec.outOfMemory(reply)) {
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
    job.reject(new CodeExecutionError(`Code execution timed out after ${job.timeoutMs / 1000} s`));
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
function workerEntry(script: WorkerSpec['script']): URL {
  const url = new URL(`./${script}${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
  if (!FROM_SOURCE) return url;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
