import { open, rename, rm, writeFile } from 'node:fs/promises';

/** Replaces `path` with `text` all at once (temp file, flushed, renamed): readers never see half a file. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, text, { flush: true });
  await rename(temp, path);
}

/**
 * `writeAtomically` for a file too large to hold as one string: `produce` writes the temporary
 * file (however it likes), which is then flushed to disk and renamed over `path`. A failure
 * leaves `path` as it was and removes the temporary file.
 */
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
