/**
 * `<output>.retry`: the ids whose latest outcome is failed, one per line (seed 001's contract).
 * Derived from the ledger state and written atomically (temp file + rename), never patched in place.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { IdTable } from '../input/id-table.js';
import { ROW_FAILED } from './ledger.js';

export async function writeRetryFile(path: string, rows: IdTable): Promise<number> {
  const failed: string[] = [];
  for (const [id, state] of rows.entries()) if (state === ROW_FAILED) failed.push(id);
  if (failed.length === 0) {
    await rm(path, { force: true });
    return 0;
  }
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, `${failed.join('\n')}\n`, { flush: true });
  await rename(temp, path);
  return failed.length;
}

/** Ids listed in a retry file (a BOM, CRLF and blank lines are tolerated); undefined if absent. */
export async function readRetryFile(path: string): Promise<IdTable | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const ids = new IdTable();
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) if (line.trim() !== '') ids.set(line.trim(), 1);
  return ids;
}
