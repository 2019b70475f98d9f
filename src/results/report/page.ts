/**
 * Writes a report as one self-contained HTML file: styles, Chart.js, jsdiff and the page script
 * inlined, the data embedded as JSON. Nothing is fetched: a Content-Security-Policy allows only
 * the inlined scripts (by hash) and no network at all, so the file works offline and untrusted
 * text in outputs cannot run or load anything. Every value reaches the page as text nodes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceAtomically } from '../../batch/record/write-atomically.js';
import type { ReportMeta } from './report-data.js';

/** The page's own script and style (plain browser files, same place from src/ and dist/). */
const ASSETS = fileURLToPath(new URL('../../../assets/report/', import.meta.url));
const PAGE_SCRIPTS = ['format.js', 'charts.js', 'table.js', 'details.js', 'main.js'];
const ROWS_PER_WRITE = 1000;

/** Rows the page shows before it has read the rest (its first page, at the default page size). */
export const FIRST_ROWS = 100;

/**
 * The meta and the first rows come before the scripts, and every row after them: the browser
 * draws the summary, the charts and the first page while it is still reading a large file.
 * The rows are written first (to a second temporary file, as they come), and the meta is asked
 * for after them: a report reads its results only once.
 */
export async function writeReportPage(
  path: string,
  rows: AsyncIterable<unknown> | Iterable<unknown>,
  describe: () => { meta: ReportMeta; firstRows: readonly unknown[] },
): Promise<void> {
  await replaceAtomically(path, async (temp) => {
    const spool = `${temp}-rows`;
    try {
      await writeRows(spool, rows);
      const handle = await open(temp, 'w');
      try {
        const { meta, firstRows } = describe();
        await handle.write(pageHead(meta, firstRows));
        for await (const chunk of createReadStream(spool, { highWaterMark: 1 << 20 })) await handle.write(chunk as Buffer);
        await handle.write(']</script>\n</body></html>\n');
      } finally {
        await handle.close();
      }
    } finally {
      await rm(spool, { force: true });
    }
  });
}

/** Every row as JSON, comma-separated, safe inside <script>. */
async function writeRows(path: string, rows: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let chunk: string[] = [];
    let written = 0;
    const flush = async () => {
      await handle.write(`${written > 0 ? ',' : ''}${safeJson(chunk.join(','))}`);
      written += chunk.length;
      chunk = [];
    };
    for await (const row of rows) if (chunk.push(JSON.stringify(row)) === ROWS_PER_WRITE) await flush();
    if (chunk.length > 0) await flush();
  } finally {
    await handle.close();
  }
}

function pageHead(meta: ReportMeta, firstRows: readonly unknown[]): string {
  const scripts = [libraryScript('chart.js', 'chart.umd.min.js'), ...(meta.kind === 'compare' ? [libraryScript('diff', 'diff.min.js')] : []), pageScript()];
  const hashes = scripts.map((script) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  const policy = `default-src 'none'; script-src ${hashes.join(' ')}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="difyrun">',
    `<title>difyrun ${meta.kind === 'compare' ? 'compare' : 'report'}</title>`,
    `<style>${readFileSync(join(ASSETS, 'report.css'), 'utf8')}</style>`,
    '</head><body><main id="app"><noscript>This report needs JavaScript to draw its charts and table.</noscript></main>',
    `<script id="difyrun-meta" type="application/json">${safeJson(JSON.stringify(meta))}</script>`,
    `<script id="difyrun-first" type="application/json">${safeJson(JSON.stringify(firstRows))}</script>`,
    ...scripts.map((script) => `<script>${script}</script>`),
    '<script id="difyrun-data" type="application/json">[',
  ].join('\n');
}

/**
 * JSON inside <script>: `<` only occurs inside JSON strings, where \u003c means the same
 * character, so no `</script>` or `<!--` in the data can end the element early.
 */
function safeJson(json: string): string {
  return json.replace(/</g, '\\u003c');
}

const require = createRequire(import.meta.url);

/** A library's browser build from node_modules, read at report time. */
function libraryScript(pkg: string, file: string): string {
  const entry = require.resolve(pkg); // e.g. …/chart.js/dist/chart.cjs, …/diff/libcjs/index.js
  let dir = dirname(entry);
  while (!(basename(dir) === pkg && basename(dirname(dir)) === 'node_modules') && dirname(dir) !== dir) dir = dirname(dir);
  return checkedScript(readFileSync(join(dir, 'dist', file), 'utf8'), `${pkg}/dist/${file}`);
}

function pageScript(): string {
  const source = PAGE_SCRIPTS.map((name) => readFileSync(join(ASSETS, name), 'utf8')).join('\n');
  return checkedScript(`(() => {\n'use strict';\n${source}\n})();`, 'assets/report');
}

function checkedScript(source: string, name: string): string {
  if (/<\/script|<!--/i.test(source)) throw new Error(`${name} contains "</script" or "<!--" and cannot be inlined`);
  return source;
}
