/** `--mode auto`: the response mode for new rows, from the runs seen so far. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseMode, INITIAL_AUTO, ModeChooser, type ModeDecision, type RunObservation } from '../../src/batch/schedule/mode-choice.js';

const streamed = (startDelayMs: number, elapsedMs: number): RunObservation => ({ mode: 'streaming', startDelayMs, elapsedMs });
const blocked = (elapsedMs: number): RunObservation => ({ mode: 'blocking', startDelayMs: undefined, elapsedMs });
const times = (n: number, run: RunObservation) => Array.from({ length: n }, () => run);
const blocking: ModeDecision = { mode: 'blocking', reason: 'auto: blocking' };

const table: [string, ModeDecision, RunObservation[], 'streaming' | 'blocking'][] = [
  ['too few runs to judge', INITIAL_AUTO, times(2, streamed(5000, 100)), 'streaming'],
  ['one Celery worker: short runs wait seconds in the queue → blocking', INITIAL_AUTO, times(5, streamed(2000, 150)), 'blocking'],
  ['runs start at once (enough workers, or the local server) → stay streaming', INITIAL_AUTO, times(5, streamed(30, 150)), 'streaming'],
  ['queued, but the wait is small next to long runs → stay streaming', INITIAL_AUTO, times(5, streamed(500, 20_000)), 'streaming'],
  ['a server warming up (0.34 s to start runs of 1.3 s) is not a queue → stay streaming', INITIAL_AUTO, times(5, streamed(340, 1300)), 'streaming'],
  [
    'queued, but a run took 40 s (too close to the ~100 s cut-off) → stay streaming',
    INITIAL_AUTO,
    [...times(4, streamed(3000, 200)), streamed(3000, 40_000)],
    'streaming',
  ],
  ['blocking, runs stay short → stay blocking', blocking, times(10, blocked(800)), 'blocking'],
  ['blocking, a run took 70 s → back to streaming', blocking, [...times(4, blocked(800)), blocked(70_000)], 'streaming'],
  ['blocking, a run took 45 s (between the thresholds) → stay blocking', blocking, [...times(4, blocked(800)), blocked(45_000)], 'blocking'],
];

for (const [name, current, runs, expected] of table) {
  test(`mode: ${name}`, () => assert.equal(chooseMode(current, runs).mode, expected));
}

test('the reason says what was seen', () => {
  assert.equal(
    chooseMode(INITIAL_AUTO, times(5, streamed(2000, 150))).reason,
    "auto: blocking, streaming runs waited 2.0 s (median) in Dify's queue for runs of 0.15 s, and every run finished within 0.15 s",
  );
  assert.match(chooseMode(blocking, times(3, blocked(70_000))).reason, /^auto: back to streaming, a run took 70 s/);
});

test('ModeChooser: an explicit mode never changes; auto reports a change once', () => {
  const fixed = new ModeChooser('streaming');
  for (let i = 0; i < 10; i++) assert.equal(fixed.observe(streamed(5000, 100)), undefined);
  assert.deepEqual(fixed.decision, { mode: 'streaming', reason: '--mode streaming' });
  const auto = new ModeChooser('auto');
  const changes = times(10, streamed(5000, 100))
    .map((run) => auto.observe(run))
    .filter((change) => change !== undefined);
  assert.equal(changes.length, 1);
  assert.equal(auto.decision.mode, 'blocking');
  // Streaming rows still finishing after the switch do not switch it back.
  assert.equal(auto.observe(streamed(5000, 100)), undefined);
  assert.equal(auto.decision.mode, 'blocking');
});
