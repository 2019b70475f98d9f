/** The output line of a row: what a stop difyrun asked for looks like, whatever Dify called it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOutcome, type AttemptTally } from '../../src/batch/execute/build-outcome.js';
import type { WorkflowRunResult } from '../../src/client/workflow-stream.js';

const row = { id: 'r1', recordInputs: { id: 'r1', query: 'q' } };
const tally = (stopRequested: boolean): AttemptTally => ({ attempts: 1, retries: 0, runId: 'run-1', taskId: 'task-1', price: undefined, stopRequested });
const ended = (status: string, error: string | null) =>
  ({
    task_id: 'task-1',
    workflow_run_id: 'run-1',
    data: { id: 'run-1', workflow_id: 'wf', status, outputs: {}, error, elapsed_time: 1, total_tokens: 0, total_steps: 1, created_at: 1, finished_at: 2 },
  }) as WorkflowRunResult;

test('a run difyrun stopped mid-node, which Dify 1.13.2 ends as failed "Aborted: User requested stop", is recorded as stopped', () => {
  const record = buildOutcome(row, tally(true), Date.now(), ended('failed', 'Aborted: User requested stop'), null);
  assert.equal(record.workflow_status, 'stopped');
  assert.equal(record.error?.code, 'stopped');
});

test('the same failure without a stop from difyrun stays a failed run', () => {
  const record = buildOutcome(row, tally(false), Date.now(), ended('failed', 'Aborted: User requested stop'), null);
  assert.equal(record.workflow_status, 'failed');
  assert.equal(record.error?.code, 'workflow_failed');
});

test('a failure of the workflow itself after a stop request is still a failure', () => {
  const record = buildOutcome(row, tally(true), Date.now(), ended('failed', 'ValueError: bad'), null);
  assert.equal(record.workflow_status, 'failed');
});
