import { rename, writeFile } from 'node:fs/promises';

/** Replaces `path` with `text` all at once (temp file, flushed, renamed): readers never see half a file. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, text, { flush: true });
  await rename(temp, path);
}
