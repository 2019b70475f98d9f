/**
 * Writes a report as one self-contained HTML file: styles, Chart.js, jsdiff and the page script
 * inlined, the data embedded as JSON. Nothing is fetched: a Content-Security-Policy allows only
 * the inlined scripts (by hash) and no network at all, so the file works offline and untrusted
 * text in outputs cannot run or load anything. Every value reaches the page as text nodes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceAtomically } from '../../batch/record/write-atomically.js';
import type { ReportMeta } from './report-data.js';

/** The page's own script and style (plain browser files, same place from src/ and dist/). */
const ASSETS = fileURLToPath(new URL('../../../assets/report/', import.meta.url));
const PAGE_SCRIPTS = ['format.js', 'charts.js', 'table.js', 'details.js', 'main.js'];
const ROWS_PER_WRITE = 1000;

export async function writeReportPage(path: string, meta: ReportMeta, rows: readonly unknown[]): Promise<void> {
  const scripts = [libraryScript('chart.js', 'chart.umd.min.js'), ...(meta.kind === 'compare' ? [libraryScript('diff', 'diff.min.js')] : []), pageScript()];
  const hashes = scripts.map((script) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  const policy = `default-src 'none'; script-src ${hashes.join(' ')}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  const head = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${policy}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="difyrun">',
    `<title>difyrun ${meta.kind === 'compare' ? 'compare' : 'report'}</title>`,
    `<style>${readFileSync(join(ASSETS, 'report.css'), 'utf8')}</style>`,
    '</head><body><main id="app"><noscript>This report needs JavaScript to draw its charts and table.</noscript></main>',
    '<script id="difyrun-data" type="application/json">',
  ].join('\n');
  await replaceAtomically(path, async (temp) => {
    const handle = await open(temp, 'w');
    try {
      await handle.write(`${head}{"meta":${safeJson(JSON.stringify(meta))},"rows":[`);
      for (let at = 0; at < rows.length; at += ROWS_PER_WRITE) {
        const chunk = rows
          .slice(at, at + ROWS_PER_WRITE)
          .map((row) => JSON.stringify(row))
          .join(',');
        await handle.write(`${at > 0 ? ',' : ''}${safeJson(chunk)}`);
      }
      await handle.write(`]}</script>\n${scripts.map((script) => `<script>${script}</script>`).join('\n')}\n</body></html>\n`);
    } finally {
      await handle.close();
    }
  });
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
