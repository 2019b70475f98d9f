/** The terminal diff: counts, deltas, regressions and word differences, readable without colour. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareResults } from '../../src/results/compare.js';
import { formatComparison, plainPaint, wordDiff } from '../../src/results/compare-text.js';
import { readResults } from '../../src/results/result-set.js';
import { tempDir } from '../helpers/batch-harness.js';
import { resultLine, writeLines } from './helpers.js';

const dir = tempDir('difyrun-diff-');

test('counts, deltas, regressed and improved ids, and the changed outputs word by word', async () => {
  const check = (id: string, answer: string) => ({ inputs: { id, 'expect:answer': 'yes' }, outputs: { answer } });
  const a = writeLines(join(dir, 'a.jsonl'), [
    resultLine('same', check('same', 'yes')),
    resultLine('worse', check('worse', 'yes')),
    resultLine('better', check('better', 'no')),
    resultLine('gone'),
  ]);
  const b = writeLines(join(dir, 'b.jsonl'), [
    resultLine('same', check('same', 'yes')),
    resultLine('worse', { ...check('worse', 'no, not today'), latency_ms: 1000, total_tokens: 20 }),
    resultLine('better', { ...check('better', 'yes'), status: 'failed', outputs: null }),
    resultLine('new'),
  ]);
  const comparison = compareResults(await readResults(a), await readResults(b));
  assert.deepEqual(comparison.counts, { changed: 2, unchanged: 1, only_a: 1, only_b: 1, regressed: 1, improved: 0 });
  const text = formatComparison(comparison, { limit: 10, paint: plainPaint() });
  assert.match(text, /changed 2 · unchanged 1 · only in A 1 · only in B 1/);
  assert.match(text, /latency p50 +500 ms → 500 ms/);
  assert.match(text, /checks passed 2\/3 \(66\.7%\) → 1\/3 \(33\.3%\)/);
  assert.match(text, /regressed 1: worse · improved 0/);
  assert.match(text, /^worse {2}success {2}checks regressed\n {2}answer: \[-yes-\]\{\+no, not today\+\}$/m);
  assert.match(text, /^better {2}success → failed\n {2}error: - → boom \(failed better\)\n {2}answer: \[-no-\]$/m);
  assert.doesNotMatch(formatComparison(comparison, { limit: 0, paint: plainPaint() }), /Changed rows/);
});

test('long unchanged stretches are shortened around a word change; values that are not text compare as JSON', () => {
  const long = 'word '.repeat(60);
  const shown = wordDiff(`${long}old end`, `${long}new end`, plainPaint());
  assert.ok(shown.length < 120, shown);
  assert.match(shown, /… word word .*\[-old-\]\{\+new\+\} end$/);
  assert.equal(wordDiff({ a: 1 }, { a: 2 }, plainPaint()), '{"a":[-1-]{+2+}}');
});
