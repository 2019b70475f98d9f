/**
 * The results loop at scale (issue 13): a 100,000-row results file exported to CSV and XLSX and
 * written as an HTML report by the built CLI (dist/, each command its own process, timed with its
 * peak RSS), then the report opened in Debian's chromium: time to the first page of rows, a search
 * and a status filter over every row.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './report.js';
import { CLI } from './cli.js';

const ROWS = 100_000;

/** A results file like `difyrun batch` writes: 10% failed, an expectation column, ~600 bytes of output per row. */
export async function writeResults(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 1; i <= ROWS; i++) {
    const failed = i % 10 === 0;
    const label = i % 7 === 0 ? 'negative' : 'positive';
    const line = JSON.stringify({
      id: `row-${i}`,
      status: failed ? 'failed' : 'success',
      inputs: {
        id: `row-${i}`,
        review: `Review ${i}: the product was ${label === 'positive' ? 'great' : 'disappointing'} and delivery took ${i % 9} days.`,
        rating: String((i % 5) + 1),
        'expect:label': 'positive',
      },
      outputs: failed
        ? null
        : {
            summary: `[${label}] ${'A one-paragraph summary of the review, as an LLM might write it. '.repeat(6)}#${i}`,
            label,
            score: ((i % 21) - 10) / 10,
            meta: { words: 12 + (i % 40), tags: ['review', label] },
          },
      workflow_run_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      executed_at: new Date(Date.UTC(2026, 0, 1) + i * 20).toISOString(),
      retry_count: 0,
      task_id: null,
      workflow_status: failed ? 'failed' : 'succeeded',
      error: failed ? { code: 'workflow_failed', message: `node "llm" failed: upstream ${i % 3 ? 'timeout' : 'rate limited'}`, http_status: null } : null,
      elapsed_time: 0.8,
      total_tokens: failed ? null : 300 + (i % 500),
      total_price: failed ? null : (300 + (i % 500)) * 0.000002,
      currency: 'USD',
      latency_ms: 400 + ((i * 37) % 1600) + (i % 100 === 0 ? 8000 : 0),
      attempts: 1,
    });
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

interface Measured {
  seconds: number;
  /** User + system CPU: less noisy than wall time on a shared machine. */
  cpuSeconds: number;
  peakRssMb: number;
  outputMb: number;
}

/** Runs the built CLI under GNU time for its peak RSS. */
async function measure(args: string[], output: string): Promise<Measured> {
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M %U %S', process.execPath, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`difyrun ${args[0]} exited ${code}: ${stderr}`);
  const [peakKb, user, system] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: user! + system!,
    peakRssMb: peakKb! / 1024,
    outputMb: statSync(output).size / 2 ** 20,
  };
}

/** The report in chromium: load to the first page of rows, then a search and a filter; undefined without chromium. */
async function browse(report: string): Promise<{ loadS: number; allS: number; searchS: number; filterS: number } | string> {
  const { openBrowser } = await import('../test/results/browser.js');
  const opened = await openBrowser();
  if (typeof opened === 'string') return opened;
  try {
    const page = await opened.browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    let started = performance.now();
    // Not until 'load' (the whole file parsed): the first rows are meant to show before that.
    await page.goto(`file://${report}`, { timeout: 300_000, waitUntil: 'commit' });
    await page.waitForSelector('tbody tr.row', { timeout: 300_000 });
    const loadS = (performance.now() - started) / 1000;
    // Search and filters open once every row is read.
    await page.waitForSelector('#search:enabled', { timeout: 300_000 });
    const allS = (performance.now() - started) / 1000;
    started = performance.now();
    await page.fill('#search', 'row-99999 ');
    await page.fill('#search', 'row-99999');
    await page.waitForFunction(() => document.querySelector('#row-count')!.textContent!.startsWith('1 row'), undefined, { timeout: 300_000 });
    const searchS = (performance.now() - started) / 1000 - 0.15; // less the search box's 150 ms debounce
    await page.fill('#search', '');
    started = performance.now();
    await page.selectOption('#status-filter', 'failed');
    await page.waitForFunction(() => document.querySelector('#row-count')!.textContent!.startsWith('10,000 rows'), undefined, { timeout: 300_000 });
    return { loadS, allS, searchS, filterS: (performance.now() - started) / 1000 };
  } finally {
    await opened.close();
  }
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function benchResults(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'difyrun-bench-results-'));
  const loadBefore = loadavg()[0]!;
  try {
    const results = join(dir, 'results.jsonl');
    await writeResults(results);
    const inputMb = statSync(results).size / 2 ** 20;
    const runs: [string, Measured][] = [];
    for (const [name, args, output] of [
      ['export → CSV', ['export', results, '-o', join(dir, 'out.csv')], join(dir, 'out.csv')],
      ['export → XLSX', ['export', results, '-o', join(dir, 'out.xlsx')], join(dir, 'out.xlsx')],
      ['report → HTML', ['report', results, '-o', join(dir, 'report.html')], join(dir, 'report.html')],
    ] as const) {
      runs.push([name, await measure([...args], output)]);
    }
    const browser = await browse(join(dir, 'report.html'));
    const browserLine =
      typeof browser === 'string'
        ? `Browser timings skipped: ${browser}.`
        : `In chromium (headless) the ${fmt(runs[2]![1].outputMb)} MB report showed its first page of rows **${fmt(browser.loadS, 2)} s** after navigation and had read every row (search and filters open) at ${fmt(browser.allS, 2)} s; then a search over every row took ${fmt(browser.searchS, 2)} s and the status filter ${fmt(browser.filterS, 2)} s.`;
    return {
      id: 'results-100k',
      title: `results: export and report of ${ROWS.toLocaleString('en-US')} rows`,
      summary: `A ${fmt(inputMb)} MB results file of ${ROWS.toLocaleString('en-US')} rows (10% failed, one expectation column, ~600 bytes of outputs per row), each command run by the built CLI as its own process; peak RSS from GNU time. ${browserLine} Load average (1 min, 2 cores) ${fmt(loadBefore)} before and ${fmt(loadavg()[0]!)} after: the machine was shared with other work, so treat wall times as upper bounds and compare CPU times.`,
      table: [
        '| command | wall time | CPU (user+sys) | peak RSS | output |',
        '|---|---:|---:|---:|---:|',
        ...runs.map(([name, m]) => `| ${name} | ${fmt(m.seconds, 2)} s | ${fmt(m.cpuSeconds, 2)} s | ${fmt(m.peakRssMb, 0)} MB | ${fmt(m.outputMb)} MB |`),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
