/**
 * Appends whole lines to a file, in order, each batch in one write(2) on an O_APPEND
 * descriptor: a crash can tear at most the last line, which `repairTornTail` removes on the
 * next start.
 *
 * Two promises of durability: `append` resolves once the line is synced to disk (fdatasync:
 * survives power loss); `appendWritten` once it is written (in the kernel: survives the
 * process being killed), with the sync following. Writes are synchronous: a line of a few
 * hundred bytes costs the kernel microseconds, less than handing it to libuv's thread pool and
 * waiting a turn of the event loop for the answer, and a row's POST waits for its journal line
 * (batch-scheduling, BENCHMARKS.md). Syncs run on the thread pool, grouped: lines appended
 * while one is in progress share the next (group commit), which while lines keep coming starts
 * at most every SYNC_INTERVAL_MS; `append`s of one turn of the event loop share one write.
 */
import { writeSync } from 'node:fs';
import { open, readFile, stat, truncate, appendFile, type FileHandle } from 'node:fs/promises';

/**
 * While lines keep coming (some were written during the last sync), a sync starts at most this
 * often (ms), and lines written meanwhile share it: each fdatasync costs the main thread ~80 µs
 * to hand to the thread pool on this machine (a sleeping pool thread is woken), and at thousands
 * of rows a second one per line was a tenth of the batch's CPU (batch-overhead, blocking: ~7,400
 * syncs for 20,000 rows -> ~1,800, rows/s +13%). A caller that waits for each line before
 * writing the next never writes during a sync, so its lines are synced at once.
 */
export const SYNC_INTERVAL_MS = 5;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class DurableAppender {
  /** Lines waiting for this turn's write, and who waits for them to be synced (undefined: written is enough). */
  #pending: string[] = [];
  #pendingWaiters: (Waiter | undefined)[] = [];
  #flushScheduled = false;
  /** Written, waiting for the next sync. */
  #unsynced: Waiter[] = [];
  /** Bytes written since the last sync started. */
  #dirty = false;
  #syncing: Promise<void> | undefined;
  /** When the last sync started (performance.now()). */
  #lastSyncAt = -Infinity;
  /** Lines were written while the last sync ran: the next one waits out the interval. */
  #streaming = false;
  #closed = false;
  #failure: unknown;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private readonly syncIntervalMs: number,
  ) {}

  /**
   * Opens `path` for appending (creating it, with a UTF-8 BOM first when `bom` and new).
   * `syncIntervalMs` (default SYNC_INTERVAL_MS): while lines keep coming, a sync starts at most
   * this often; lines written meanwhile wait for it and share it.
   */
  static async open(path: string, options: { bom?: boolean; syncIntervalMs?: number } = {}): Promise<DurableAppender> {
    const handle = await open(path, 'a');
    const appender = new DurableAppender(handle, path, options.syncIntervalMs ?? SYNC_INTERVAL_MS);
    if (options.bom && (await handle.stat()).size === 0) await appender.append('\uFEFF');
    return appender;
  }

  /** Appends `text` (which should end with a newline); resolves when it is on disk. */
  append(text: string): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push(text);
      this.#pendingWaiters.push({ resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // Let appends from the same turn join this write.
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Appends `text` now (a killed process cannot lose it once this returns); synced soon after. */
  appendWritten(text: string): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#pending.push(text);
    this.#pendingWaiters.push(undefined);
    // Lines of `append`s waiting for this turn go first, in order.
    this.#flush();
    return this.#failure === undefined ? Promise.resolve() : Promise.reject(this.#failure);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0 || this.#failure !== undefined) return;
    const text = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    const waiters = this.#pendingWaiters;
    this.#pending = [];
    this.#pendingWaiters = [];
    try {
      if (this.#closed) throw new Error(`${this.path} is closed`);
      writeAll(this.handle.fd, text);
    } catch (error) {
      this.#fail(
        error,
        waiters.filter((waiter) => waiter !== undefined),
      );
      return;
    }
    for (const waiter of waiters) if (waiter) this.#unsynced.push(waiter);
    this.#dirty = true;
    this.#syncing ??= this.#syncLoop();
  }

  async #syncLoop(): Promise<void> {
    // (Started after a write, so it always awaits before finishing.)
    while (this.#dirty && this.#failure === undefined) {
      const wait = this.#streaming ? this.#lastSyncAt + this.syncIntervalMs - performance.now() : 0;
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (this.#failure !== undefined) break;
      }
      this.#lastSyncAt = performance.now();
      const waiters = this.#unsynced;
      this.#unsynced = [];
      this.#dirty = false;
      try {
        await this.handle.datasync();
      } catch (error) {
        this.#fail(error, waiters);
        break;
      }
      this.#streaming = this.#dirty;
      for (const waiter of waiters) waiter.resolve();
    }
    this.#syncing = undefined;
  }

  #fail(error: unknown, waiters: Waiter[]): void {
    this.#failure = error;
    for (const waiter of [...waiters, ...this.#unsynced]) waiter.reject(error);
    for (const waiter of this.#pendingWaiters) waiter?.reject(error);
    this.#pending = [];
    this.#pendingWaiters = [];
    this.#unsynced = [];
  }

  /** Writes what is pending, syncs, then closes the file. */
  async close(): Promise<void> {
    this.#flush();
    while (this.#syncing) await this.#syncing;
    this.#closed = true;
    if (this.#failure === undefined) await this.handle.datasync();
    await this.handle.close();
  }
}

/** write(2) until every byte is in (a regular file takes all of it unless the disk is full, which throws). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/**
 * Removes a torn last line left by a crash (bytes after the last newline that are not a
 * complete JSON value). The fragment is kept in `<path>.torn` so nothing is lost. Returns the
 * number of bytes removed.
 */
export async function repairTornTail(path: string): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return 0;
  }
  if (size === 0) return 0;
  const handle = await open(path, 'r');
  try {
    const tailSize = Math.min(size, 1 << 20);
    const tail = Buffer.alloc(tailSize);
    await handle.read(tail, 0, tailSize, size - tailSize);
    if (tail[tailSize - 1] === 0x0a) return 0;
    const lastNewline = tail.lastIndexOf(0x0a);
    let keep: number;
    if (lastNewline === -1) {
      // One line only, or a last line over 1 MB: read the whole file to find the boundary.
      const whole = await readFile(path);
      keep = whole.lastIndexOf(0x0a) + 1;
    } else {
      keep = size - tailSize + lastNewline + 1;
    }
    const fragment = Buffer.alloc(size - keep);
    await handle.read(fragment, 0, fragment.length, keep);
    const text = fragment.toString('utf8').replace(/^\uFEFF/, '');
    if (isCompleteJson(text)) {
      // A whole record that only lacks its newline (e.g. edited by hand): keep it.
      await appendFile(path, '\n');
      return 0;
    }
    await appendFile(`${path}.torn`, fragment);
    await truncate(path, keep);
    return fragment.length;
  } finally {
    await handle.close();
  }
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
