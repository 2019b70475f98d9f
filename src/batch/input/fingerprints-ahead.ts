/**
 * Fingerprints of the input's rows computed on the second core while the main thread reads the
 * output and scans the input: on a resume every row that already succeeded is fingerprinted to
 * notice changed inputs (SHA-256 of its canonical JSON, about half the scan's CPU over a
 * million rows). Started only when the output records fingerprints; purely a speed-up: a row the
 * worker has not reached is fingerprinted by the caller as before.
 */
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { inputFormatOf, type InputOptions } from './input-options.js';
import type { InputRow } from './read-rows.js';
import { RingReader, ringBuffer } from './fingerprint-ring.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
/** How far from the output's end to look for a line with a recorded fingerprint. */
const TAIL_BYTES = 64 * 1024;

export class FingerprintsAhead {
  readonly #reader: RingReader;
  readonly #worker: Worker;
  readonly #words = { high: 0, low: 0 };
  readonly #exited: Promise<void>;

  private constructor(file: string, options: InputOptions) {
    const ring = ringBuffer();
    this.#reader = new RingReader(ring);
    this.#worker = new Worker(workerEntry(), {
      workerData: { file, options, ring },
      // Its rows are garbage as soon as they are hashed: a small young generation keeps the resume's peak memory down.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    // A worker that fails only means the scan fingerprints those rows itself.
    this.#worker.on('error', () => {});
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // Never what keeps the process alive (a batch that ends before its scan does: nothing to retry).
    this.#worker.unref();
  }

  /** Starts the worker (exported for tests; a batch calls startIfRecorded). */
  static start(input: string, options: InputOptions = {}): FingerprintsAhead {
    return new FingerprintsAhead(input, options);
  }

  /**
   * Starts the worker when `output` ends with lines that carry input fingerprints (a resume that
   * will compare them) and the input is text: a workbook read twice at once would double the
   * memory its sheet costs.
   */
  static async startIfRecorded(input: string, output: string, options: InputOptions): Promise<FingerprintsAhead | undefined> {
    if (inputFormatOf(input) === 'xlsx' || !(await recordsFingerprints(output))) return undefined;
    return new FingerprintsAhead(input, options);
  }

  /** Settles when the worker has read the whole input (or failed, or was stopped); keeps the process alive until then. */
  finished(): Promise<void> {
    this.#worker.ref();
    return this.#exited;
  }

  /** The fingerprint of `row` as two words (reused object: read it before the next call), when the worker has it. */
  wordsOf(row: InputRow): { high: number; low: number } | undefined {
    return this.#reader.take(row.line, this.#words) ? this.#words : undefined;
  }

  /** The scan is over: the worker stops. */
  async stop(): Promise<void> {
    this.#reader.close();
    await this.#worker.terminate();
  }
}

/** Whether the last 64 KB of the file hold an `"input_fingerprint":"` (difyrun writes it on every line since it has had one). */
async function recordsFingerprints(output: string): Promise<boolean> {
  let file;
  try {
    file = await open(output, 'r');
  } catch {
    return false;
  }
  try {
    const { size } = await file.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return buffer.includes('"input_fingerprint":"');
  } finally {
    await file.close();
  }
}

/** The worker script; from source (tests under tsx) a bootstrap registers the TypeScript loader first. */
function workerEntry(): URL {
  const url = new URL(`./fingerprint-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
  if (!FROM_SOURCE) return url;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
