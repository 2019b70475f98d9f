/**
 * Writes a file that may be large all at once for readers: `produce` writes a temporary file
 * next to the target, which is flushed to disk and renamed over the target. A failure leaves the
 * target as it was and removes the temporary file. (For a whole text in memory, see
 * batch/record/write-atomically.ts.)
 */
import { open, rename, rm } from 'node:fs/promises';

export async function replaceAtomically(path: string, produce: (tempPath: string) => Promise<void>): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    await produce(temp);
    const handle = await open(temp, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
