/**
 * Every wire shape of a run, built from the one run-data shape (protocol WorkflowRunFields,
 * which both a RunRecord and the engine's WorkflowFinishedData are): the blocking response,
 * run detail, a log entry and a replayed workflow_finished. Keys in Dify's order.
 */
import type {
  WorkflowBlockingResponse,
  WorkflowFinishedEvent,
  WorkflowLogEntry,
  WorkflowRunData,
  WorkflowRunDetailWire,
  WorkflowRunFields,
} from '../protocol/index.js';
import { pythonJsonDumps } from './python-style.js';
import type { RunRecord } from './store/types.js';

/** The run fields alone (a record or finished data carries more). */
export function runFields(run: WorkflowRunFields): WorkflowRunData {
  return {
    id: run.id,
    workflow_id: run.workflow_id,
    status: run.status,
    outputs: run.outputs,
    error: run.error,
    elapsed_time: run.elapsed_time,
    total_tokens: run.total_tokens,
    total_steps: run.total_steps,
    created_at: run.created_at,
    finished_at: run.finished_at,
  };
}

export function blockingResponse(taskId: string, run: WorkflowRunFields): WorkflowBlockingResponse {
  return { task_id: taskId, workflow_run_id: run.id, data: runFields(run) };
}

/** `inputs` is a JSON string (Python spacing, sys.* included); a running run shows no time yet. */
export function runDetail(run: RunRecord): WorkflowRunDetailWire {
  return {
    id: run.id,
    workflow_id: run.workflow_id,
    status: run.status,
    inputs: pythonJsonDumps(run.inputs),
    outputs: run.status === 'paused' ? {} : (run.outputs ?? {}),
    error: run.error,
    total_steps: run.total_steps,
    total_tokens: run.total_tokens,
    created_at: run.created_at,
    finished_at: run.finished_at,
    elapsed_time: run.status === 'running' ? 0 : run.elapsed_time,
  };
}

/** `version` is when the workflow was published (the DSL's, for the local server). */
export function logEntry(run: RunRecord, version: string): WorkflowLogEntry {
  return {
    id: run.logId,
    workflow_run: {
      id: run.id,
      version,
      status: run.status,
      triggered_from: 'app-run',
      error: run.error,
      elapsed_time: run.status === 'running' ? 0 : run.elapsed_time,
      total_tokens: run.total_tokens,
      total_steps: run.total_steps,
      created_at: run.created_at,
      finished_at: run.finished_at,
      exceptions_count: run.exceptions_count,
    },
    details: null,
    created_from: 'service-api',
    created_by_role: 'end_user',
    created_by_account: null,
    created_by_end_user: { id: run.endUserId, type: 'service-api', is_anonymous: false, session_id: run.user },
    created_at: run.created_at,
  };
}

/** The final event of a finished run, for a client that reattaches after the end. */
export function finishedEvent(run: RunRecord & { finished_at: number }): WorkflowFinishedEvent {
  return {
    event: 'workflow_finished',
    workflow_run_id: run.id,
    task_id: run.taskId,
    data: {
      ...runFields(run),
      outputs: run.outputs ?? {},
      created_by: { id: run.endUserId, user: run.user },
      finished_at: run.finished_at,
      exceptions_count: run.exceptions_count,
      files: [],
    },
  };
}
