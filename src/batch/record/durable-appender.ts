/**
 * Appends whole lines to a file, in order, each in a single write(2) on an O_APPEND
 * descriptor: a crash can tear at most the last line, which `repairTornTail` removes on the
 * next start.
 *
 * Two promises of durability: `append` resolves once the line is synced to disk (fdatasync:
 * survives power loss); `appendWritten` once it is written (in the kernel: survives the
 * process being killed) with the sync following. Lines arriving while a write or sync is in
 * progress are grouped into the next one (group commit): one sync per batch, not per line,
 * and writes are not held up by a sync in progress.
 */
import { open, readFile, stat, truncate, appendFile, type FileHandle } from 'node:fs/promises';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class DurableAppender {
  #lines: string[] = [];
  #writtenWaiters: Waiter[] = [];
  #syncedWaiters: Waiter[] = [];
  /** Written, waiting for the next sync. */
  #unsynced: Waiter[] = [];
  /** Bytes written since the last sync started. */
  #dirty = false;
  #writing: Promise<void> | undefined;
  #syncing: Promise<void> | undefined;
  #failure: unknown;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Opens `path` for appending (creating it, with a UTF-8 BOM first when `bom` and new). */
  static async open(path: string, options: { bom?: boolean } = {}): Promise<DurableAppender> {
    const handle = await open(path, 'a');
    const appender = new DurableAppender(handle, path);
    if (options.bom && (await handle.stat()).size === 0) await appender.append('\uFEFF');
    return appender;
  }

  /** Appends `text` (which should end with a newline); resolves when it is on disk. */
  append(text: string): Promise<void> {
    return this.#enqueue(text, this.#syncedWaiters);
  }

  /** Appends `text`; resolves when the write is done (a killed process cannot lose it); synced soon after. */
  appendWritten(text: string): Promise<void> {
    return this.#enqueue(text, this.#writtenWaiters);
  }

  #enqueue(text: string, waiters: Waiter[]): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#lines.push(text);
      waiters.push({ resolve, reject });
      this.#writing ??= this.#writeLoop();
    });
  }

  async #writeLoop(): Promise<void> {
    // Let appends from the same tick join this write.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#lines.length > 0 && this.#failure === undefined) {
      const text = this.#lines.join('');
      const written = this.#writtenWaiters;
      const synced = this.#syncedWaiters;
      this.#lines = [];
      this.#writtenWaiters = [];
      this.#syncedWaiters = [];
      try {
        await this.handle.write(text);
      } catch (error) {
        this.#fail(error, [...written, ...synced]);
        break;
      }
      for (const waiter of written) waiter.resolve();
      this.#unsynced.push(...synced);
      this.#dirty = true;
      // (Started only with work to do, so it always awaits before finishing.)
      this.#syncing ??= this.#syncLoop();
    }
    this.#writing = undefined;
  }

  async #syncLoop(): Promise<void> {
    while (this.#dirty && this.#failure === undefined) {
      const waiters = this.#unsynced;
      this.#unsynced = [];
      this.#dirty = false;
      try {
        await this.handle.datasync();
      } catch (error) {
        this.#fail(error, waiters);
        break;
      }
      for (const waiter of waiters) waiter.resolve();
    }
    this.#syncing = undefined;
  }

  #fail(error: unknown, waiters: Waiter[]): void {
    this.#failure = error;
    for (const waiter of [...waiters, ...this.#writtenWaiters, ...this.#syncedWaiters, ...this.#unsynced]) waiter.reject(error);
    this.#lines = [];
    this.#writtenWaiters = [];
    this.#syncedWaiters = [];
    this.#unsynced = [];
  }

  /** Waits for pending writes, syncs, then closes the file. */
  async close(): Promise<void> {
    while (this.#writing || this.#syncing) await (this.#writing ?? this.#syncing);
    if (this.#failure === undefined) await this.handle.datasync();
    await this.handle.close();
  }
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
