/**
 * `<output>.retry`: the ids whose latest outcome is failed, one per line (the Python batch executor's contract).
 * Derived from the ledger state and written atomically (temp file + rename), never patched in place.
 */
import { rm } from 'node:fs/promises';
import { IdTable } from '../input/id-table.js';
import { ROW_FAILED } from './ledger.js';
import { readTextIfExists } from './read-if-exists.js';
import { writeAtomically } from './write-atomically.js';

export async function writeRetryFile(path: string, rows: IdTable): Promise<number> {
  const failed = rows.idsWith(ROW_FAILED);
  if (failed.length === 0) {
    await rm(path, { force: true });
    return 0;
  }
  await writeAtomically(path, `${failed.join('\n')}\n`);
  return failed.length;
}

/** Ids listed in a retry file (a BOM, CRLF and blank lines are tolerated); undefined if absent. */
export async function readRetryFile(path: string): Promise<IdTable | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  const ids = new IdTable();
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) if (line.trim() !== '') ids.set(line.trim(), 1);
  return ids;
}
