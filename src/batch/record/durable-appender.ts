/**
 * Appends whole lines to a file and resolves each append once its bytes are on disk.
 *
 * Lines arriving while a write is in progress are grouped into the next write + fdatasync
 * (group commit), so durability costs one sync per batch, not one per row. Each line goes out
 * in a single write(2) on an O_APPEND descriptor: a crash can tear at most the last line,
 * which `repairTornTail` removes on the next start.
 */
import { open, readFile, stat, truncate, appendFile, type FileHandle } from 'node:fs/promises';

export class DurableAppender {
  #queue: { text: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;
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

  /** Appends `text` (which should end with a newline); resolves when it is durable. */
  append(text: string): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ text, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    // Let appends from the same tick join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.handle.write(batch.map((item) => item.text).join(''));
        await this.handle.datasync();
        for (const item of batch) item.resolve();
      } catch (error) {
        this.#failure = error;
        for (const item of [...batch, ...this.#queue]) item.reject(error);
        this.#queue = [];
      }
    }
    this.#flushing = undefined;
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
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
