import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIFY_MAX_RUN_SECONDS, staleRunNote } from '../../src/cli/commands/stale-run.js';

const now = 2_000_000_000;

test('a run Dify calls running past its own time limit is said to be most likely stopped', () => {
  const note = staleRunNote({ status: 'running', created_at: now - DIFY_MAX_RUN_SECONDS - 300 }, now);
  assert.match(note ?? '', /^Dify has called this run running for 25 min, longer than its default limit/);
  assert.match(note ?? '', /never records a stop/);
});

test('a run still inside the limit, or one that ended, gets no note', () => {
  assert.equal(staleRunNote({ status: 'running', created_at: now - DIFY_MAX_RUN_SECONDS }, now), undefined);
  assert.equal(staleRunNote({ status: 'succeeded', created_at: now - 10 * DIFY_MAX_RUN_SECONDS }, now), undefined);
  assert.equal(staleRunNote({ status: 'stopped', created_at: now - 10 * DIFY_MAX_RUN_SECONDS }, now), undefined);
});
