import type { JsonObject, JsonValue, WorkflowRunStatus } from './common.js';

/**
 * The one description of a run's outcome. Every place a run is shown builds on it: the
 * blocking response's `data`, run detail, `workflow_finished` and the logs' `workflow_run`.
 * `O` types the outputs when the caller knows them (default: any JSON object).
 */
export interface WorkflowRunFields<O extends object = JsonObject> {
  /** Equals `workflow_run_id`. */
  id: string;
  workflow_id: string;
  status: WorkflowRunStatus;
  outputs: O | null;
  error: string | null;
  /** Float seconds (0.0 while running). */
  elapsed_time: number;
  total_tokens: number;
  total_steps: number;
  /** Integer Unix seconds. */
  created_at: number;
  /** Null while running (and for good after a stop: Dify does not record stops). */
  finished_at: number | null;
}

/** Body of a blocking run (`response_mode: "blocking"`); `O` types the outputs when the caller knows them. */
export interface WorkflowBlockingResponse<O extends object = JsonObject> {
  task_id: string;
  workflow_run_id: string;
  data: WorkflowRunData<O>;
}

export interface WorkflowRunData<O extends object = JsonObject> extends WorkflowRunFields<O> {
  [extra: string]: unknown;
}

/**
 * `GET /workflows/run/{id}` as Dify sends it: `inputs` is a JSON *string* (with `sys.*`
 * variables); `outputs` is an object on 1.11+ and a string on 1.8–1.10.
 */
export interface WorkflowRunDetailWire extends WorkflowRunDetailFields {
  inputs: string | JsonObject | null;
  outputs: string | JsonObject | null;
}

/** Run-detail fields other than inputs/outputs (whose wire types vary by version). */
export interface WorkflowRunDetailFields extends Omit<WorkflowRunFields, 'outputs'> {
  [extra: string]: unknown;
}

/** `POST /workflows/tasks/{task_id}/stop`: always this, whatever the task. */
export interface StopResponse {
  result: 'success';
}

export interface WorkflowLogRun extends Omit<WorkflowRunFields, 'workflow_id' | 'outputs'> {
  /** When the workflow version was published, e.g. "2026-12-01 21:40:12.123456". */
  version: string;
  exceptions_count?: number;
  triggered_from?: string;
}

export interface EndUserRef {
  id: string;
  type: string;
  is_anonymous: boolean;
  session_id: string;
}

export interface AccountRef {
  id: string;
  name: string;
  email: string;
}

export interface WorkflowLogEntry {
  id: string;
  workflow_run: WorkflowLogRun;
  /** Always null on Dify 1.13; absent on older versions. */
  details?: JsonObject | null;
  created_from: 'service-api' | 'web-app' | 'installed-app' | string;
  created_by_role: 'account' | 'end_user' | string;
  created_by_account: AccountRef | null;
  created_by_end_user: EndUserRef | null;
  created_at: number;
}

/** `GET /workflows/logs`. */
export interface WorkflowLogsPage {
  page: number;
  limit: number;
  total: number;
  has_more: boolean;
  data: WorkflowLogEntry[];
}

/** `POST /files/upload` (HTTP 201). */
export interface FileUploadResponse {
  id: string;
  name: string;
  size: number;
  extension: string;
  mime_type: string;
  created_by: string;
  created_at: number;
  preview_url?: string | null;
  source_url?: string | null;
  original_url?: string | null;
  user_id?: string | null;
  tenant_id?: string;
  conversation_id?: string | null;
  file_key?: string | null;
}

/** `GET /info`. */
export interface AppInfo {
  name: string;
  description: string;
  tags: string[];
  mode: string;
  author_name: string;
}

/** `GET /meta`. */
export interface AppMeta {
  tool_icons: Record<string, JsonValue>;
}

/** `GET /site`. */
export interface AppSite {
  title: string;
  chat_color_theme: string | null;
  chat_color_theme_inverted: boolean;
  icon_type: string | null;
  icon: string | null;
  icon_background: string | null;
  icon_url: string | null;
  description: string | null;
  copyright: string | null;
  privacy_policy: string | null;
  custom_disclaimer: string | null;
  default_language: string;
  show_workflow_steps: boolean;
  use_icon_as_answer_icon: boolean;
}
