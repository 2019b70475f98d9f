import type { FileInput, WorkflowInputs } from './common.js';

export type ResponseMode = 'blocking' | 'streaming';

/** Body of `POST /workflows/run` and `POST /workflows/{workflow_id}/run`. */
export interface WorkflowRunRequestBody {
  inputs: WorkflowInputs;
  /** Omitted or null means blocking. */
  response_mode?: ResponseMode | null;
  /** Required by Dify: identifies the end user (any non-empty string). */
  user: string;
  /** Legacy `sys.files`; only used when the app enables file upload. */
  files?: FileInput[];
  trace_id?: string;
}

/** Body of `POST /workflows/tasks/{task_id}/stop`. */
export interface StopRequestBody {
  user: string;
}

/** Query of `GET /workflows/logs`. */
export interface WorkflowLogsQuery {
  keyword?: string;
  status?: 'succeeded' | 'failed' | 'stopped';
  page?: number;
  limit?: number;
  /** ISO 8601. */
  created_at__before?: string;
  /** ISO 8601. */
  created_at__after?: string;
  created_by_end_user_session_id?: string;
  /** Account email. */
  created_by_account?: string;
}
