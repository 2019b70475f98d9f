/**
 * CSV export for Excel and everything else: UTF-8 with a BOM (without it Excel reads UTF-8 as
 * the local code page and garbles non-ASCII text), CRLF line ends, RFC 4180 quoting. Text that
 * Excel would run as a formula (=, +, -, @ first, except plain numbers) is prefixed with '.
 */
import { open } from 'node:fs/promises';
import Papa from 'papaparse';
import type { ResultRow } from '../result-set.js';
import { replaceAtomically } from '../../batch/record/write-atomically.js';
import type { Column } from './columns.js';

const FORMULA = /^(?![-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$)[=+\-@\t\r]/i;
const ROWS_PER_WRITE = 2000;

export async function writeCsv(path: string, columns: readonly Column[], rows: readonly ResultRow[]): Promise<void> {
  const unparse = (data: unknown[][]) => Papa.unparse(data, { newline: '\r\n', escapeFormulae: FORMULA });
  await replaceAtomically(path, async (temp) => {
    const handle = await open(temp, 'w');
    try {
      await handle.write(`\uFEFF${unparse([columns.map((c) => c.header)])}\r\n`);
      for (let at = 0; at < rows.length; at += ROWS_PER_WRITE) {
        const chunk = rows.slice(at, at + ROWS_PER_WRITE).map((row) => columns.map((column) => column.cell(row) ?? ''));
        await handle.write(`${unparse(chunk)}\r\n`);
      }
    } finally {
      await handle.close();
    }
  });
}
