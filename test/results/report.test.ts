/** The report file itself (no browser): self-contained, data safely embedded, summary numbers right. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeReport } from '../../src/results/report/write-report.js';
import { readResults } from '../../src/results/result-set.js';
import { binCounts, binsFor, computeStats, distribution } from '../../src/results/stats.js';
import { compareResults } from '../../src/results/compare.js';
import { tempDir } from '../helpers/batch-harness.js';
import { writeResults, XSS } from './fixtures.js';

const dir = tempDir('difyrun-report-');

/** The page's three data blocks: the meta and the first page (before the scripts), then every row. */
function embeddedData(html: string): { meta: Record<string, unknown>; rows: Record<string, unknown>[] } {
  const block = (id: string) => {
    const match = new RegExp(`<script id="${id}" type="application/json">([\\s\\S]*?)</script>`).exec(html);
    assert.ok(match, `the ${id} block ends at its own </script>`);
    return { at: match.index, value: JSON.parse(match[1]!) as unknown };
  };
  const [meta, first, rows] = [block('difyrun-meta'), block('difyrun-first'), block('difyrun-data')];
  assert.ok(meta.at < html.indexOf('<script>') && first.at < html.indexOf('<script>'), 'the meta and the first page come before the scripts');
  assert.ok(rows.at > html.lastIndexOf('<script>'), 'every row comes after them');
  const all = rows.value as Record<string, unknown>[];
  assert.deepEqual(first.value, all.slice(0, 100), 'the first page is the first rows');
  return { meta: meta.value as Record<string, unknown>, rows: all };
}

test('one self-contained file: scripts inlined and allowed by hash, no network, hostile outputs kept as data', async () => {
  const results = join(dir, 'a.jsonl');
  writeResults(results, 40);
  const output = join(dir, 'a.html');
  const summary = await writeReport({ results: [results], output });
  assert.equal(summary.rows, 40);
  const html = readFileSync(output, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^"]+/);
  assert.doesNotMatch(html, /<script[^>]+\bsrc=|<link\b|<iframe\b/i, 'nothing is loaded from outside the file');
  assert.ok(html.includes('Chart.'), 'Chart.js is inlined');
  assert.ok(!html.includes('window.__pwned=2</script>'), 'the hostile output cannot close the data block');
  const data = embeddedData(html);
  assert.equal(data.rows.length, 40);
  const row3 = data.rows.find((row) => row.id === 'row-3') as { o: { answer: string } };
  assert.equal(row3.o.answer, XSS, 'the text survives exactly');
});

test('summary numbers: counts, success rate, exact percentiles, tokens, cost, errors with top messages, checks', async () => {
  const results = join(dir, 'b.jsonl');
  const { failed, checksFailed } = writeResults(results, 100);
  const set = await readResults(results);
  const stats = computeStats(set.rows);
  assert.deepEqual([stats.rows, stats.succeeded, stats.failed, stats.notRun], [100, 100 - failed, failed, 0]);
  assert.equal(stats.successRate, 0.9);
  assert.deepEqual(
    stats.errors.map((e) => [e.code, e.count]),
    [
      ['workflow_failed', 5],
      ['timeout', 5],
    ],
  );
  assert.deepEqual(stats.errors[1]!.messages, [{ message: 'no response in 300 s', count: 5 }]);
  assert.deepEqual(stats.checks.rows, { passed: 100 - checksFailed, total: 100 });
  assert.equal(stats.tokens!.count, 90);
  assert.ok(stats.wallTimeS! > 9.9 && stats.wallTimeS! < 11.5, `wall time ${stats.wallTimeS}`);
  assert.deepEqual(distribution([5, 1, 4, 2, 3, 10, 6, 7, 8, 9]), { count: 10, total: 55, mean: 5.5, p50: 5, p90: 9, p99: 10, max: 10 });
});

test('histogram bins: readable widths, an overflow bin for the slow tail, every value counted', () => {
  const values = [...Array.from({ length: 99 }, (_, i) => 100 + i * 10), 60_000];
  const bins = binsFor(values)!;
  assert.equal(bins.overflow, true);
  assert.ok([1, 2, 5].includes(bins.width / 10 ** Math.floor(Math.log10(bins.width))), `width ${bins.width}`);
  const counts = binCounts(values, bins);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    100,
  );
  assert.equal(counts.at(-1), 1, 'the one slow row is in the overflow bin');
  assert.equal(binsFor([]), null);
  assert.deepEqual(binCounts([0, 0, 0], binsFor([0, 0, 0])!), [3]);
});

test('compare: changed, unchanged, only in one, check regressions and improvements', async () => {
  const a = join(dir, 'ca.jsonl');
  const b = join(dir, 'cb.jsonl');
  writeResults(a, 30, 'A');
  writeResults(b, 32, 'B');
  const comparison = compareResults(await readResults(a), await readResults(b));
  const changed = comparison.pairs.filter((p) => p.change === 'changed').map((p) => p.id);
  assert.ok(changed.includes('row-6') && changed.includes('row-4'), 'a reworded answer and a changed label');
  assert.ok(!changed.includes('row-1'));
  assert.equal(comparison.counts.only_b, 2);
  assert.deepEqual(comparison.pairs.find((p) => p.id === 'row-4')!.changedOutputs, ['answer', 'label']);
  // row-4: positive in A (check passes), neutral in B (check fails).
  assert.equal(comparison.pairs.find((p) => p.id === 'row-4')!.checkChange, 'regressed');
  assert.equal(comparison.counts.regressed, comparison.pairs.filter((p) => p.checkChange === 'regressed').length);
  const output = join(dir, 'c.html');
  await writeReport({ results: [a, b], output });
  const data = embeddedData(readFileSync(output, 'utf8'));
  assert.equal(data.rows.length, 32);
  assert.ok(readFileSync(output, 'utf8').includes('diffWordsWithSpace'), 'jsdiff is inlined for the compare');
});
