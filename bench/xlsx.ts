/**
 * `.xlsx` input at scale (issue 11): a 100,000-row workbook through `difyrun batch` (the built
 * CLI), peak RSS of the batch process. The workbook is written with exceljs's streaming writer
 * (exceljs is the project's .xlsx writer; it no longer reads them).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { startServer } from '../src/server/index.js';
import { runCli } from './batch.js';
import type { BenchResult } from './report.js';

async function writeWorkbook(path: string, rows: number): Promise<void> {
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true });
  const sheet = writer.addWorksheet('Rows');
  sheet.addRow(['id', 'user_name', 'query', 'language']).commit();
  for (let i = 0; i < rows; i++) sheet.addRow([`row${i}`, `User ${i % 97}`, `What is item ${i}, really?`, i % 2 ? 'English' : 'Japanese']).commit();
  sheet.commit();
  await writer.commit();
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function benchBatchXlsx(): Promise<BenchResult> {
  const server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'difyrun-bench-'));
  try {
    const rows = Number(process.env.BENCH_XLSX_ROWS ?? 100_000);
    const input = join(dir, 'in.xlsx');
    await writeWorkbook(input, rows);
    const run = await runCli(server, ['-i', input, '-o', join(dir, 'out.jsonl'), '-c', '64', '--mode', 'blocking']);
    const target = run.peakRssMb <= 250;
    return {
      id: 'batch-xlsx',
      title: `batch: a ${rows.toLocaleString('en-US')}-row .xlsx workbook`,
      summary: `Peak RSS (VmHWM of the batch process) **${fmt(run.peakRssMb, 0)} MB** for a ${rows.toLocaleString('en-US')}-row workbook (${fmt(statSync(input).size / 2 ** 20)} MiB zipped; target ≤ 250 MB: ${target ? 'met' : 'missed'}). The sheet is streamed (yauzl inflates it, saxes reads its XML) twice, once to check every row and once to run them; the shared-strings table is held in memory.`,
      table: [
        '| rows | peak RSS | wall time | rows/s | succeeded |',
        '|---:|---:|---:|---:|---:|',
        `| ${rows.toLocaleString('en-US')} | ${fmt(run.peakRssMb, 0)} MB | ${fmt(run.wallMs / 1000, 1)} s | ${fmt(run.summary.rows_per_s)} | ${run.summary.succeeded.toLocaleString('en-US')} |`,
      ],
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
