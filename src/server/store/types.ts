/** What the local server keeps: runs (which are also the logs), end users and uploads. */
import type { WorkflowRunStatus } from '../../protocol/index.js';

export interface RunRecord {
  id: string;
  taskId: string;
  logId: string;
  workflowId: string;
  status: WorkflowRunStatus;
  /** Inputs plus sys.* variables, as Dify stores them. */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  error: string | null;
  elapsedTime: number;
  totalTokens: number;
  totalSteps: number;
  exceptionsCount: number;
  /** Unix seconds. */
  createdAt: number;
  finishedAt: number | null;
  /** The `user` string (end-user session id). */
  user: string;
  endUserId: string;
  /** Milliseconds, for stable newest-first ordering. */
  createdAtMs: number;
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
  // Dify writes the app-log row when a run finishes: a running run is not in the logs yet.
  if (run.status === 'running') return false;
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
