/**
 * A single-producer, single-consumer ring of (line, fingerprint) entries in shared memory: the
 * fingerprint worker writes, the scan on the main thread reads. Neither side waits for the other
 * and neither depends on the other for correctness: a reader that finds no entry for its row
 * computes the fingerprint itself, and the writer skips rows the reader has already passed (or
 * is about to reach), so the two threads share the work instead of doing it twice.
 */
const WRITTEN = 0;
const READ = 1;
/** The line the reader has reached (updated every few hundred rows). */
const READER_AT = 2;
/** Set once the reader wants no more. */
const CLOSED = 3;
const HEADER = 4;
const FIELDS = 3;

/**
 * Entries in the ring (12 bytes each, 6 MB): enough for what the worker fingerprints while the
 * main thread reads a million-line output, before the scan starts taking them.
 */
export const RING_ENTRIES = 1 << 19;
/** The writer starts this many lines past the reader: the reader computes the rows it is about to reach. */
const LEAD = 2048;

export function ringBuffer(entries = RING_ENTRIES): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER + entries * FIELDS) * 4);
}

export class RingWriter {
  readonly #view: Int32Array;
  readonly #entries: number;
  #written = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.#view = new Int32Array(buffer);
    this.#entries = (this.#view.length - HEADER) / FIELDS;
  }

  /** Whether the row on `line` is still worth fingerprinting: the reader has not reached it yet. */
  wants(line: number): boolean {
    return line >= Atomics.load(this.#view, READER_AT) + LEAD;
  }

  /** False once the reader has closed the ring (nothing more will be read). */
  get open(): boolean {
    return Atomics.load(this.#view, CLOSED) === 0;
  }

  /** Adds an entry, first waiting while the ring is full (the reader has not started, or is busy elsewhere). */
  put(line: number, high: number, low: number): void {
    const view = this.#view;
    while (this.#written - Atomics.load(view, READ) >= this.#entries && this.open) Atomics.wait(view, READ, Atomics.load(view, READ), 10);
    const at = HEADER + (this.#written % this.#entries) * FIELDS;
    view[at] = line;
    view[at + 1] = high;
    view[at + 2] = low;
    Atomics.store(view, WRITTEN, ++this.#written);
  }
}

export class RingReader {
  readonly #view: Int32Array;
  readonly #entries: number;
  #read = 0;
  #asked = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.#view = new Int32Array(buffer);
    this.#entries = (this.#view.length - HEADER) / FIELDS;
  }

  /**
   * The fingerprint written for the row starting on `line` (its two words, into `into`), or
   * false when there is none yet. Lines are asked for in increasing order; entries for earlier
   * lines are passed over.
   */
  take(line: number, into: { high: number; low: number }): boolean {
    const view = this.#view;
    if ((++this.#asked & 255) === 0) Atomics.store(view, READER_AT, line);
    const written = Atomics.load(view, WRITTEN);
    while (this.#read < written) {
      const at = HEADER + (this.#read % this.#entries) * FIELDS;
      const entryLine = view[at]!;
      if (entryLine > line) return false;
      Atomics.store(view, READ, ++this.#read);
      // A writer waiting for room wakes by itself within 10 ms; a wake-up every few hundred entries saves most of that.
      if ((this.#read & 1023) === 0) Atomics.notify(view, READ);
      if (entryLine === line) {
        into.high = view[at + 1]!;
        into.low = view[at + 2]!;
        return true;
      }
    }
    return false;
  }

  /** Tells the writer to stop. */
  close(): void {
    Atomics.store(this.#view, CLOSED, 1);
    Atomics.notify(this.#view, READ);
  }
}
