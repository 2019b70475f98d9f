/**
 * The default store: everything in memory, gone when the server stops.
 *
 * `maxSettledRuns` bounds it for a server that lives as long as one batch (`batch --local`):
 * past that many finished (or stopped) runs the oldest are forgotten, so memory stays flat
 * however many rows run (a run record with its inputs is ~3 KB of heap: 100,000 runs kept
 * took the process to 880 MB). Runs still running are never forgotten. Without it every run
 * is kept, as on Dify.
 */
import { stableUuid } from '../stable-id.js';
import { matchesFilter, type LogFilter, type RunRecord, type RunStore, type UploadRecord } from './types.js';

export interface MemoryStoreOptions {
  maxSettledRuns?: number | undefined;
}

export class MemoryStore implements RunStore {
  /** In creation order (a Map keeps the first insertion's place when a key is set again). */
  readonly #runs = new Map<string, RunRecord>();
  readonly #uploads = new Map<string, UploadRecord>();
  readonly #maxSettled: number;
  #settled = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxSettled = options.maxSettledRuns ?? Infinity;
  }

  putRun(run: RunRecord): void {
    const before = this.#runs.get(run.id);
    this.#runs.set(run.id, run);
    if (isSettled(run) && !(before && isSettled(before))) {
      this.#settled++;
      if (this.#settled > this.#maxSettled) this.#forgetOldestSettled();
    }
  }

  getRun(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  listRuns(filter: LogFilter): { total: number; runs: RunRecord[] } {
    const all = [...this.#runs.values()];
    const matching: RunRecord[] = [];
    for (let i = all.length - 1; i >= 0; i--) {
      if (matchesFilter(all[i]!, filter)) matching.push(all[i]!);
    }
    const start = (filter.page - 1) * filter.limit;
    return { total: matching.length, runs: matching.slice(start, start + filter.limit) };
  }

  /** Derived from the session id, so no table of end users grows with one user per row. */
  endUserId(user: string): string {
    return stableUuid(`end-user:${user}`);
  }

  putUpload(upload: UploadRecord): void {
    this.#uploads.set(upload.id, upload);
  }

  getUpload(id: string): UploadRecord | undefined {
    return this.#uploads.get(id);
  }

  uploadPath(): string | undefined {
    return undefined;
  }

  close(): void {}

  #forgetOldestSettled(): void {
    for (const [id, run] of this.#runs) {
      if (!isSettled(run)) continue;
      this.#runs.delete(id);
      this.#settled--;
      return;
    }
  }
}

/** Finished, or stopped (Dify keeps a stopped run `running`, but it will not change again). */
function isSettled(run: RunRecord): boolean {
  return run.status !== 'running' || run.stoppedAtMs !== undefined;
}
