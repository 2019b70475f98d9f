/** How the text summary counts rows stopped by Ctrl-C (failed rows, named as stopped). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unsentOutcome, type OutcomeRecord } from '../../src/batch/record/outcome.js';
import { BatchStats, formatSummary } from '../../src/batch/report/summary.js';

function summaryOf(outcomes: OutcomeRecord[], notStarted: number): string {
  const stats = new BatchStats();
  for (const outcome of outcomes) stats.record(outcome);
  return formatSummary(
    stats.summarize({
      input: 'in.csv',
      output: 'out.jsonl',
      rowsInInput: outcomes.length + notStarted,
      rowsToProcess: outcomes.length + notStarted,
      skipped: 0,
      stoppedReason: 'interrupted (Ctrl-C)',
      failedIdsFile: 'out.jsonl.retry',
      mode: { requested: 'auto', reason: 'auto: streaming' },
    }),
  );
}

const failed = (id: string): OutcomeRecord => unsentOutcome(id, { id }, { code: 'internal_server_error', message: 'boom', http_status: 500 });
const stopped = (id: string): OutcomeRecord => ({
  ...failed(id),
  workflow_status: 'stopped',
  error: { code: 'stopped', message: 'stopped', http_status: null },
});

test('all failed rows stopped: "N stopped", and the rerun runs "the N stopped"', () => {
  const text = summaryOf([stopped('a'), stopped('b')], 3);
  assert.match(text, /^0 succeeded, 2 stopped, 3 not started of 5 rows in /m);
  assert.match(text, /runs the 3 not started and the 2 stopped$/m);
});

test('some failed, some stopped: "N failed (M of them stopped)", and the rerun runs both', () => {
  const text = summaryOf([stopped('a'), failed('b'), failed('c')], 1);
  assert.match(text, /^0 succeeded, 3 failed \(1 of them stopped\), 1 not started of 4 rows in /m);
  assert.match(text, /runs the 1 not started and the 3 that failed or were stopped$/m);
});

test('nothing stopped: the plain count', () => {
  const text = summaryOf([failed('a')], 2);
  assert.match(text, /^0 succeeded, 1 failed, 2 not started of 3 rows in /m);
  assert.match(text, /runs the 2 not started and the 1 that failed$/m);
});
