/** The progress line: fits the terminal, counts the whole file, and an ETA only once the pace is known. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createProgress, progressLine, progressView, type ProgressStart } from '../../src/batch/report/progress.js';
import { BatchStats } from '../../src/batch/report/summary.js';
import type { OutcomeRecord } from '../../src/batch/record/outcome.js';

const success = (id: string): OutcomeRecord => ({
  id,
  status: 'success',
  inputs: { id },
  outputs: {},
  workflow_run_id: 'r',
  executed_at: '',
  retry_count: 0,
  task_id: 't',
  workflow_status: 'succeeded',
  error: null,
  elapsed_time: 1,
  total_tokens: 0,
  total_price: null,
  currency: null,
  latency_ms: 1000,
  attempts: 1,
});
const start = (total: number, done: number): ProgressStart => ({ total, done, inFlight: () => 8 });

test('a resumed run counts the whole file: rows done earlier are done', () => {
  const stats = new BatchStats();
  stats.record(success('a'));
  const view = progressView(stats, start(95_863, 90_000));
  assert.equal(view.done, 90_001);
  assert.equal(view.total, 95_863);
  assert.equal(view.percent, 93);
  assert.equal(view.inFlight, 8);
});

test('no ETA before the pace is known; then from the pace after the first outcome', () => {
  const stats = new BatchStats();
  const t0 = stats.startedAt;
  assert.equal(progressView(stats, start(1000, 0), t0 + 500).etaMs, undefined, 'nothing finished yet');
  stats.record(success('first'));
  assert.equal(progressView(stats, start(1000, 0), t0 + 30_000).etaMs, undefined, 'one outcome says nothing about the pace');
  for (let i = 0; i < 9; i++) stats.record(success(`r${i}`));
  const firstAt = stats.firstOutcomeAt!;
  // 9 rows after the first in 3 s: 3 rows/s; 990 left → 330 s. The first row's latency does not count.
  const view = progressView(stats, start(1000, 0), firstAt + 3000);
  assert.equal(Math.round(view.rate! * 10) / 10, 3);
  assert.equal(Math.round(view.etaMs! / 1000), 330);
});

test('the line fits the terminal: fields drop from the end, the bar goes first on very narrow ones', () => {
  const stats = new BatchStats();
  const view = progressView(stats, start(95_863, 12_000), stats.startedAt + 65_000);
  for (const width of [120, 80, 60, 40, 30, 20]) {
    const line = progressLine(view, width);
    assert.ok(line.length < width, `${width}: "${line}" (${line.length})`);
    assert.match(line, /12% 12000\/95863/);
  }
  assert.match(progressLine(view, 120), /^\[#+-+\] 12% 12000\/95863 \| 8 in flight \| elapsed 1m05s \| ETA … \| - rows\/s \| failed 0$/);
});

test('on a narrow terminal a message printed while the bar runs wraps whole, it is not cut at the edge', async () => {
  const written: string[] = [];
  const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 50, rows: 20 });
  terminal.on('data', (chunk: Buffer) => written.push(chunk.toString()));
  const progress = createProgress(new BatchStats(), { quiet: false, stream: terminal as unknown as NodeJS.WriteStream });
  progress.start(start(40, 0));
  const message = "Mode: blocking, streaming runs waited 0.21 s (median) in Dify's queue for runs of 0.23 s";
  progress.log(message);
  progress.update();
  await new Promise((resolve) => setTimeout(resolve, 300));
  progress.stop();
  const output = written.join('');
  const at = output.indexOf(message);
  assert.ok(at >= 0, 'the message is written whole');
  // DECAWM: ESC[?7l turns the terminal's line wrapping off, ESC[?7h on; the last switch before the message counts.
  const before = output.slice(0, at);
  assert.ok(before.lastIndexOf('\x1b[?7l') <= before.lastIndexOf('\x1b[?7h'), 'line wrapping is on where the message is printed');
});
