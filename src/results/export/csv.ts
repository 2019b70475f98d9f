/**
 * CSV export for Excel and everything else: UTF-8 with a BOM (without it Excel reads UTF-8 as
 * the local code page and garbles non-ASCII text), CRLF line ends, RFC 4180 quoting. Text that
 * Excel would run as a formula (=, +, -, @ first, except plain numbers) is prefixed with '.
 */
import { open } from 'node:fs/promises';
import type { ResultRow } from '../result-set.js';
import { replaceAtomically } from '../../batch/record/write-atomically.js';
import type { Cell, Column } from './columns.js';

const FORMULA = /^(?![-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$)[=+\-@\t\r]/i;
/** Quoted like Papa.unparse quotes (a test holds the two equal): separators, quotes, line ends, a BOM, edge spaces. */
const NEEDS_QUOTES = /[",\r\n\uFEFF]|^ | $/;
const ROWS_PER_WRITE = 2000;

/**
 * One field. Hand-written rather than Papa.unparse: its per-field checks were a third of a
 * 100,000-row export's CPU, and quoting is these few lines.
 */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  if (FORMULA.test(cell)) return `"'${cell.replace(/"/g, '""')}"`;
  return NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export async function writeCsv(path: string, columns: readonly Column[], rows: AsyncIterable<ResultRow>): Promise<void> {
  const line = (cells: Cell[]) => cells.map(csvField).join(',');
  await replaceAtomically(path, async (temp) => {
    const handle = await open(temp, 'w');
    try {
      let chunk = [`\uFEFF${line(columns.map((c) => c.header))}`];
      for await (const row of rows) {
        if (chunk.push(line(columns.map((column) => column.cell(row)))) === ROWS_PER_WRITE) {
          await handle.write(`${chunk.join('\r\n')}\r\n`);
          chunk = [];
        }
      }
      if (chunk.length > 0) await handle.write(`${chunk.join('\r\n')}\r\n`);
    } finally {
      await handle.close();
    }
  });
}
