/** A run record as the local server's stores keep it: running, with no outputs, unless `fields` say otherwise. */
import type { RunRecord } from '../../src/server/store/types.js';

export function runRecord(id: string, fields: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    status: 'running',
    workflow_id: 'w',
    outputs: null,
    error: null,
    elapsed_time: 0,
    total_tokens: 0,
    total_steps: 0,
    created_at: 1,
    finished_at: null,
    exceptions_count: 0,
    taskId: 't',
    logId: 'l',
    inputs: {},
    user: 'u',
    endUserId: 'e',
    createdAtMs: 1000,
    ...fields,
  };
}
