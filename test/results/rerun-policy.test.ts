/** Which succeeded rows run again on a resume, and the notice when Dify runs a new workflow version. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InputRow } from '../../src/batch/input/read-rows.js';
import type { OutcomeRecord } from '../../src/batch/record/outcome.js';
import { ProducedBy } from '../../src/batch/record/produced-by.js';
import { RerunPolicy } from '../../src/batch/record/rerun-policy.js';
import { inputFingerprint } from '../../src/results/fingerprint.js';

const row = (id: string, values: Record<string, unknown>): InputRow => ({ kind: 'row', id, line: 2, values });

function produced(): ProducedBy {
  const memory = new ProducedBy();
  memory.note('same', inputFingerprint({ text: 'a' }), 'v1');
  memory.note('edited', inputFingerprint({ text: 'b' }), 'v1');
  memory.note('new-version', inputFingerprint({ text: 'c' }), 'v2');
  memory.note('old-line', undefined, null); // written before fingerprints: cannot tell, not re-run
  return memory;
}

test('a changed row runs again; an unchanged one, or one with an expectation edited, does not', () => {
  const policy = new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: false, workflowId: undefined });
  assert.equal(policy.runsAgain(row('same', { text: 'a', 'expect:x': 'new expectation' })), false);
  assert.equal(policy.runsAgain(row('edited', { text: 'b, fixed' })), true);
  assert.equal(policy.runsAgain(row('new-version', { text: 'c' })), false);
  assert.equal(policy.runsAgain(row('old-line', { text: 'anything' })), false);
  policy.stopCounting();
  policy.runsAgain(row('edited', { text: 'b, fixed' }));
  assert.deepEqual(policy.counts, { changed: 1, olderVersion: 0, all: 0 });
  assert.deepEqual(policy.describe(), ['1 row whose inputs changed since it succeeded: running again']);
});

test('--rerun-older-versions: rows not produced by the pinned version, or by the newest one recorded', () => {
  const latest = new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: true, workflowId: undefined });
  assert.deepEqual(
    ['same', 'new-version'].map((id) => latest.runsAgain(row(id, { text: id === 'same' ? 'a' : 'c' }))),
    [true, false],
  );
  const pinned = new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: true, workflowId: 'v3' });
  assert.deepEqual(
    ['same', 'new-version', 'old-line'].map((id) => pinned.runsAgain(row(id, { text: id === 'same' ? 'a' : 'c' }))),
    [true, true, false],
  );
  const all = new RerunPolicy(produced(), { rerunAll: true, rerunOlderVersions: false, workflowId: undefined });
  assert.equal(all.runsAgain(row('same', { text: 'a' })), true);
  assert.deepEqual(all.describe(), ['--rerun-all: running again 1 row that already succeeded']);
});

test('the first outcome from a version other rows did not come from gives one notice', () => {
  const policy = new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: false, workflowId: undefined });
  const outcome = (workflow_id: string | null) => ({ workflow_id }) as OutcomeRecord;
  assert.equal(policy.notice(outcome(null)), undefined);
  assert.equal(
    policy.notice(outcome('v3')),
    'Dify now runs workflow version v3; 3 rows in the output came from other versions (v1: 2, v2: 1); run again with --rerun-older-versions to redo them',
  );
  assert.equal(policy.notice(outcome('v4')), undefined, 'said once');
  const fresh = new ProducedBy();
  fresh.note('a', undefined, 'v1');
  assert.equal(new RerunPolicy(fresh, { rerunAll: false, rerunOlderVersions: false, workflowId: undefined }).notice(outcome('v1')), undefined);
});

test('a version known before any run gives the notice up front and is the current one for --rerun-older-versions', () => {
  const policy = new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: false, workflowId: undefined, knownVersion: 'v2' });
  assert.equal(
    policy.noticeBeforeRun(),
    'Dify now runs workflow version v2; 2 rows in the output came from other versions (v1: 2); run again with --rerun-older-versions to redo them',
  );
  assert.equal(policy.notice({ workflow_id: 'v2' } as OutcomeRecord), undefined, 'said once');
  assert.equal(new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: false, workflowId: undefined }).noticeBeforeRun(), undefined);
  const rerun = new RerunPolicy(produced(), { rerunAll: false, rerunOlderVersions: true, workflowId: undefined, knownVersion: 'v2' });
  assert.deepEqual(
    ['same', 'new-version'].map((id) => rerun.runsAgain(row(id, { text: id === 'same' ? 'a' : 'c' }))),
    [true, false],
  );
});
