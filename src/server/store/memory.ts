/** The default store: everything in memory, gone when the server stops. */
import { randomUUID } from 'node:crypto';
import { matchesFilter, type LogFilter, type RunRecord, type RunStore, type UploadRecord } from './types.js';

export class MemoryStore implements RunStore {
  readonly #runs = new Map<string, RunRecord>();
  /** Newest last; runs are appended in creation order. */
  readonly #order: RunRecord[] = [];
  readonly #endUsers = new Map<string, string>();
  readonly #uploads = new Map<string, UploadRecord>();

  putRun(run: RunRecord): void {
    if (!this.#runs.has(run.id)) this.#order.push(run);
    else this.#order[this.#order.findLastIndex((r) => r.id === run.id)] = run;
    this.#runs.set(run.id, run);
  }

  getRun(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  listRuns(filter: LogFilter): { total: number; runs: RunRecord[] } {
    const matching: RunRecord[] = [];
    for (let i = this.#order.length - 1; i >= 0; i--) {
      const run = this.#order[i]!;
      if (matchesFilter(run, filter)) matching.push(run);
    }
    const start = (filter.page - 1) * filter.limit;
    return { total: matching.length, runs: matching.slice(start, start + filter.limit) };
  }

  endUserId(user: string): string {
    let id = this.#endUsers.get(user);
    if (!id) {
      id = randomUUID();
      this.#endUsers.set(user, id);
    }
    return id;
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
}
