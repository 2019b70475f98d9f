/** What a WorkflowStream is built from: how to open and stop it, its deadlines and its quiet check. */
import type { StopResponse } from '../protocol/index.js';
import type { GetRun } from './stall-check.js';
import type { OpenResponse } from './transport.js';

export interface WorkflowStreamOptions {
  /** Opens the HTTP response; the signal aborts it. */
  open: (signal: AbortSignal) => Promise<OpenResponse>;
  /** Calls the stop endpoint (POST /workflows/tasks/{task_id}/stop). */
  stop: (taskId: string, user: string) => Promise<StopResponse>;
  user: string | undefined;
  /** No bytes at all for this long aborts the stream. */
  streamIdleTimeout: number;
  /** Pings but no event for this long aborts the stream (off when undefined). */
  eventTimeout?: number | undefined;
  /** No first run event for this long after the response opened aborts the stream (off when undefined). */
  startTimeout?: number | undefined;
  onPing?: (() => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Fetches run detail, for the quiet check (off without it). */
  getRun?: GetRun | undefined;
  /** The shortest silence after the run started that is checked on (off when 0 or undefined). */
  stallCheckAfter?: number | undefined;
}
