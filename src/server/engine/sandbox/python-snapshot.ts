/**
 * An optional start-up snapshot of Pyodide on disk. Starting Pyodide costs ~5 s of CPU, nearly
 * all of it CPython initialising itself; restoring the memory of an interpreter that already did
 * costs ~1 s. With DIFYRUN_PYODIDE_SNAPSHOT set to a file path, a Python worker starts from that
 * file when it is there, and otherwise starts in full and leaves its snapshot there for the next
 * worker (in any process). Unset, nothing is read or written: every worker starts in full.
 *
 * The snapshot is taken right after Pyodide loads, before the worker's sandbox prelude and before
 * any user code, so a restored worker is set up exactly as a fresh one. Pyodide refuses a snapshot
 * of another build (its build id is in the file); the worker then starts in full.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** What a Python worker is given to start from (part of its workerData). */
export interface SnapshotStart {
  /** The snapshot to restore. */
  snapshot?: Uint8Array;
  /** Start in full and send {type:'snapshot', bytes} back, for the next workers. */
  makeSnapshot: boolean;
}

function snapshotFile(): string | undefined {
  return process.env.DIFYRUN_PYODIDE_SNAPSHOT || undefined;
}

export function snapshotStart(): SnapshotStart {
  const file = snapshotFile();
  if (!file) return { makeSnapshot: false };
  try {
    return { snapshot: readFileSync(file), makeSnapshot: false };
  } catch {
    return { makeSnapshot: true };
  }
}

/** Writes the snapshot whole or not at all (a rename), so a reader never sees half a file. */
export function keepSnapshot(bytes: Uint8Array): void {
  const file = snapshotFile();
  if (!file) return;
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  // Only a cache: when it cannot be written, the next worker starts in full.
  try {
    writeFileSync(partial, bytes);
  } catch {
    return;
  }
  try {
    renameSync(partial, file);
  } catch {
    rmSync(partial, { force: true });
  }
}
