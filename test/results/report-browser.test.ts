/**
 * The report in a real browser (Debian's chromium via playwright-core): it loads with no console
 * errors and no network, the charts draw, the table holds every row, and search, filters, sorting,
 * paging and row details work. Skipped, with the reason, when chromium is not installed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Page } from 'playwright-core';
import { writeReport } from '../../src/results/report/write-report.js';
import { tempDir } from '../helpers/batch-harness.js';
import { openBrowser, openReport } from './browser.js';
import { writeResults, XSS } from './fixtures.js';

const opened = await openBrowser();
const skip = typeof opened === 'string' ? `browser tests skipped: ${opened}` : undefined;
if (skip) process.stderr.write(`${skip}\n`);
after(() => (typeof opened === 'string' ? undefined : opened.close()));
const dir = tempDir('difyrun-browser-');

/** Canvases with fewer painted pixels than this drew nothing (an empty chart still has none). */
async function paintedCanvases(page: Page): Promise<number[]> {
  return page.$$eval('canvas', (canvases) =>
    canvases.map((canvas) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted;
    }),
  );
}

const count = (page: Page) => page.textContent('#row-count');

test('a report of 2,500 rows: no errors, charts drawn, every row, search, filter, sort, paging, details', { skip }, async () => {
  if (typeof opened === 'string') return;
  const results = join(dir, 'a.jsonl');
  const { failed, checksFailed } = writeResults(results, 2500);
  const output = join(dir, 'a.html');
  await writeReport({ results: [results], output });
  const { page, problems } = await openReport(opened.browser, output);
  const painted = await paintedCanvases(page);
  assert.equal(painted.length, 5, 'latency, status, tokens, cost and checks charts');
  for (const pixels of painted) assert.ok(pixels > 500, `a chart drew (${pixels} pixels painted)`);
  assert.equal(await count(page), '2,500 rows');
  assert.equal(await page.locator('tbody tr.row').count(), 100, 'one page of rows in the DOM');
  const table = await page.$eval('.table-scroll', (box) => [box.scrollWidth, box.clientWidth]);
  assert.ok(table[0]! <= table[1]!, `at 1280 px every column fits without scrolling sideways (${table.join(' > ')})`);
  assert.equal(await page.textContent('#page-position'), '1–100 · page 1 of 25');

  await page.fill('#search', 'question 1234');
  await page.waitForFunction(() => document.querySelector('#row-count')!.textContent!.startsWith('1 row'));
  assert.equal(await page.textContent('tbody tr.row td'), 'row-1234');
  await page.fill('#search', '');
  await page.selectOption('#status-filter', 'failed');
  await page.waitForFunction((n) => document.querySelector('#row-count')!.textContent === `${n} rows (filtered from 2,500)`, failed);
  await page.selectOption('#status-filter', 'checks_failed');
  await page.waitForFunction(
    (n) => document.querySelector('#row-count')!.textContent === `${n.toLocaleString('en-US')} rows (filtered from 2,500)`,
    checksFailed,
  );
  await page.selectOption('#status-filter', 'all');

  await page.click('th:has-text("latency")');
  await page.click('th:has-text("latency")'); // descending: the slow rows first
  const slowest = Math.max(
    ...readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { latency_ms: number }).latency_ms),
  );
  assert.equal(await page.textContent('tbody tr.row td.num'), `${(slowest / 1000).toFixed(2)} s`);
  await page.click('button:has-text("Next")');
  assert.equal(await page.textContent('#page-position'), '101–200 · page 2 of 25');

  // The hostile output shows as text and runs nothing.
  await page.fill('#search', 'onerror');
  await page.waitForFunction(() => document.querySelector('#row-count')!.textContent!.startsWith('1 row'));
  await page.click('tbody tr.row');
  assert.ok((await page.textContent('tr.detail'))!.includes(XSS));
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.deepEqual(problems, []);
});

test('a compare: change counts, a filter for changed rows, differences marked side by side', { skip }, async () => {
  if (typeof opened === 'string') return;
  const a = join(dir, 'ca.jsonl');
  const b = join(dir, 'cb.jsonl');
  writeResults(a, 300, 'A');
  writeResults(b, 310, 'B');
  const output = join(dir, 'c.html');
  const summary = await writeReport({ results: [a, b], output });
  const { page, problems } = await openReport(opened.browser, output);
  for (const pixels of await paintedCanvases(page)) assert.ok(pixels > 500, `a chart drew (${pixels} pixels painted)`);
  assert.equal(await count(page), '310 rows');
  await page.selectOption('#status-filter', 'changed');
  await page.waitForFunction((n) => document.querySelector('#row-count')!.textContent === `${n} rows (filtered from 310)`, summary.comparison!.counts.changed);
  await page.selectOption('#status-filter', 'regressed');
  await page.waitForFunction((n) => document.querySelector('#row-count')!.textContent!.startsWith(`${n} row`), summary.comparison!.counts.regressed);
  await page.fill('#search', 'row-6 is');
  await page.selectOption('#status-filter', 'all');
  // Wait for the search's own result: "1 row" alone can still be the regressed filter's count (CI clicked that row).
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('tbody tr.row');
    return rows.length === 1 && rows[0]!.textContent!.includes('row-6') && document.querySelector('#row-count')!.textContent!.startsWith('1 row');
  });
  await page.click('tbody tr.row');
  assert.equal(await page.textContent('tr.detail ins'), ' (revised wording)');
  assert.deepEqual(problems, []);
});

test('on a phone (390×844) nothing spills out of the page and text columns keep their width (the table scrolls sideways)', { skip }, async () => {
  if (typeof opened === 'string') return;
  const results = join(dir, 'phone.jsonl');
  writeResults(results, 30);
  const output = join(dir, 'phone.html');
  await writeReport({ results: [results], output });
  const { page, problems } = await openReport(opened.browser, output, { width: 390, height: 844 });
  // Before: the charts' 460 px grid and the table made the page 579 px wide, and text columns 0 px.
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
  const widths = await page.$$eval('tbody tr.row:first-child td', (cells) => cells.map((cell) => cell.getBoundingClientRect().width));
  assert.ok(Math.min(...widths) >= 60, `every column is readable: ${widths.map(Math.round).join(', ')} px`);
  assert.deepEqual(problems, []);
});
