/** What the local server keeps: runs (which are also the logs), end users and uploads. */
import type { WorkflowRunFields } from '../../protocol/index.js';

/**
 * One run: the protocol's run fields (what every endpoint shows of it, built in
 * http/wire.ts) plus what only the server needs.
 */
export interface RunRecord extends WorkflowRunFields {
  exceptions_count: number;
  taskId: string;
  logId: string;
  /** Inputs plus sys.* variables, as Dify stores them. */
  inputs: Record<string, unknown>;
  /** The `user` string (end-user session id). */
  user: string;
  endUserId: string;
  /** Milliseconds, for stable newest-first ordering. */
  createdAtMs: number;
  /**
   * When the run was stopped while its record still says `running`: Dify does not record
   * stops, and neither does the faithful server (a restart must not turn it into a failure).
   */
  stoppedAtMs?: number;
}

export interface UploadRecord {
  id: string;
  name: string;
  size: number;
  extension: string;
  mimeType: string;
  createdBy: string;
  createdAt: number;
  /** Where the bytes are: a path under the data dir, or kept in memory. */
  bytes: Uint8Array | { path: string };
}

export interface LogFilter {
  keyword?: string | undefined;
  status?: string | undefined;
  before?: number | undefined;
  after?: number | undefined;
  user?: string | undefined;
  page: number;
  limit: number;
}

export interface RunStore {
  putRun(run: RunRecord): void;
  getRun(id: string): RunRecord | undefined;
  listRuns(filter: LogFilter): { total: number; runs: RunRecord[] };
  endUserId(user: string): string;
  putUpload(upload: UploadRecord): void;
  getUpload(id: string): UploadRecord | undefined;
  /** Where uploaded bytes should be written, or undefined to keep them in memory. */
  uploadPath(id: string): string | undefined;
  close(): void;
}

/** keyword: case-insensitive substring of inputs/outputs JSON or the user, or the exact run id. */
export function matchesFilter(run: RunRecord, filter: LogFilter): boolean {
  if (filter.status && run.status !== filter.status) return false;
  if (filter.user !== undefined && run.user !== filter.user) return false;
  if (filter.before !== undefined && run.createdAtMs >= filter.before) return false;
  if (filter.after !== undefined && run.createdAtMs <= filter.after) return false;
  return filter.keyword ? matchesKeyword(run.id, JSON.stringify(run.inputs), JSON.stringify(run.outputs ?? {}), run.user, filter.keyword) : true;
}

/** Dify's keyword filter: the exact run id, or a case-insensitive substring (first 30 characters) of the inputs or outputs JSON or the user. */
export function matchesKeyword(id: string, inputsJson: string, outputsJson: string, user: string, keyword: string): boolean {
  if (id === keyword) return true;
  return `${inputsJson}\n${outputsJson}\n${user}`.toLowerCase().includes(keyword.slice(0, 30).toLowerCase());
}
