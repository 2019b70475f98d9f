/** The retry/recover decision, as a table: retry counts + what happened → what the row does next. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Verdict } from '../../src/batch/execute/classify.js';
import { MAX_OVERLOADED_RETRIES, nextStep, type RetryCounts, type RowEvent } from '../../src/batch/execute/next-step.js';

const err = (code: string) => ({ code, message: code, http_status: null });
const fresh: RetryCounts = { transient: 0, overloaded: 0 };
const failed = (verdict: Verdict): RowEvent => ({ kind: 'attempt-failed', verdict });
const ambiguous = (runId?: string, likelyRunning = true) => ({
  kind: 'ambiguous' as const,
  error: err('stream_ended'),
  runId,
  taskId: undefined,
  likelyRunning,
});
const notStarted = { kind: 'not-started' as const, error: err('run_not_started') };

const table: [string, RetryCounts, RowEvent, unknown, RetryCounts?][] = [
  ['a bad key stops the batch', fresh, failed({ kind: 'fatal', error: err('unauthorized') }), { do: 'fail', error: err('unauthorized'), stopBatch: 'fatal' }],
  [
    'quota stops the batch',
    fresh,
    failed({ kind: 'quota', error: err('rate_limit_error') }),
    { do: 'fail', error: err('rate_limit_error'), stopBatch: 'quota' },
  ],
  ['a rejected row fails, not retried', fresh, failed({ kind: 'rejected', error: err('invalid_param') }), { do: 'fail', error: err('invalid_param') }],
  [
    'a workflow error fails',
    fresh,
    failed({ kind: 'run-error', error: err('workflow_error'), runId: 'r', taskId: 't' }),
    { do: 'fail', error: err('workflow_error') },
  ],
  [
    'not sent: retried with backoff step 0',
    fresh,
    failed({ kind: 'not-sent', error: err('connection_error') }),
    { do: 'retry', backoff: 0, pauseAllMs: undefined },
    { transient: 1, overloaded: 0 },
  ],
  [
    'not sent, retries used up: fails',
    { transient: 3, overloaded: 0 },
    failed({ kind: 'not-sent', error: err('connection_error') }),
    { do: 'fail', error: err('connection_error') },
  ],
  [
    '429 without Retry-After: this row backs off',
    fresh,
    failed({ kind: 'overloaded', error: err('too_many_requests'), retryAfterMs: undefined }),
    { do: 'retry', backoff: 0, pauseAllMs: undefined },
    { transient: 0, overloaded: 1 },
  ],
  [
    '429 with Retry-After: everyone pauses, no own backoff',
    fresh,
    failed({ kind: 'overloaded', error: err('too_many_requests'), retryAfterMs: 3000 }),
    { do: 'retry', backoff: undefined, pauseAllMs: 3000 },
  ],
  [
    '429s do not use up maxRetries',
    { transient: 3, overloaded: 5 },
    failed({ kind: 'overloaded', error: err('too_many_requests'), retryAfterMs: undefined }),
    { do: 'retry', backoff: 5, pauseAllMs: undefined },
  ],
  [
    '429s have their own cap',
    { transient: 0, overloaded: MAX_OVERLOADED_RETRIES },
    failed({ kind: 'overloaded', error: err('too_many_requests'), retryAfterMs: undefined }),
    { do: 'fail', error: err('too_many_requests') },
  ],
  ['may have run: recover first, following the run id', fresh, failed(ambiguous('run-1')), { do: 'recover', runId: 'run-1', waitForRun: true }, fresh],
  ['Dify answered 500: look, but do not wait for a run', fresh, failed(ambiguous(undefined, false)), { do: 'recover', runId: undefined, waitForRun: false }],
  ['only pings, never started: look in the logs without waiting', fresh, failed(notStarted), { do: 'recover', runId: undefined, waitForRun: false }],
  [
    'not started by the timeout and not in the logs: fails, never sent again (it may still be queued)',
    fresh,
    { kind: 'run-absent', verdict: notStarted },
    { do: 'fail', error: err('run_not_started') },
    fresh,
  ],
  [
    'no run found: sent again with backoff',
    { transient: 1, overloaded: 0 },
    { kind: 'run-absent', verdict: ambiguous() },
    { do: 'retry', backoff: 1, pauseAllMs: undefined },
    { transient: 2, overloaded: 0 },
  ],
  [
    'no run found, retries used up: the attempt’s error',
    { transient: 3, overloaded: 0 },
    { kind: 'run-absent', verdict: ambiguous() },
    { do: 'fail', error: err('stream_ended') },
  ],
  [
    'a run still going after the wait: never sent again',
    fresh,
    { kind: 'run-still-running', runId: 'run-9', waitedMs: 61_000 },
    { do: 'fail', code: 'recovery_timeout' },
  ],
  ['the server could not say: never sent again', fresh, { kind: 'recovery-failed', message: 'ECONNRESET' }, { do: 'fail', code: 'recovery_failed' }],
];

for (const [name, counts, event, expected, expectedCounts] of table) {
  test(`next step: ${name}`, () => {
    const { counts: after, step } = nextStep(counts, event, 3);
    const expect = expected as Record<string, unknown>;
    if ('code' in expect) {
      assert.equal(step.do, expect.do);
      assert.equal(step.do === 'fail' && step.error.code, expect.code);
    } else assert.deepEqual(step, expected);
    if (expectedCounts) assert.deepEqual(after, expectedCounts);
    assert.deepEqual(counts, counts, 'the input is not changed');
  });
}

test('the messages of never-resent rows say why and what to do', () => {
  const { step } = nextStep(fresh, { kind: 'run-still-running', runId: 'run-9', waitedMs: 61_000 }, 3);
  assert.equal(
    step.do === 'fail' && step.error.message,
    'Run run-9 was still running after 61 s of waiting; it was not sent again (check it with `difyrun status run-9`)',
  );
});
