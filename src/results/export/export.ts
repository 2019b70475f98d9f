/** `difyrun export`: a results file as a CSV or XLSX table (the format from the extension). */
import { extname } from 'node:path';
import { orderByInput } from '../input-order.js';
import { readResults, type ResultRow } from '../result-set.js';
import { exportColumns } from './columns.js';
import { writeCsv } from './csv.js';

export interface ExportOptions {
  results: string;
  output: string;
  /** The batch's input file: rows in its order, not-run rows included, its expectations used. */
  input?: string | undefined;
}

export interface ExportReport {
  rows: number;
  columns: number;
  format: 'csv' | 'xlsx';
  badLines: number[];
  notRun: number;
  notInInput: number;
  cutCells: number;
}

export function exportFormatOf(path: string): 'csv' | 'xlsx' | undefined {
  const ext = extname(path).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.xlsx' ? 'xlsx' : undefined;
}

export async function exportResults(options: ExportOptions): Promise<ExportReport> {
  const format = exportFormatOf(options.output);
  if (format === undefined) throw new Error(`-o ${options.output}: the export format comes from the extension: .csv or .xlsx`);
  const set = await readResults(options.results);
  let rows: ResultRow[] = set.rows;
  let notRun = 0;
  let notInInput = 0;
  if (options.input !== undefined) ({ rows, notRun, notInInput } = await orderByInput(set, options.input));
  const columns = exportColumns(rows);
  let cutCells = 0;
  if (format === 'csv') await writeCsv(options.output, columns, rows);
  else {
    // exceljs (the XLSX writer) costs ~30 MB and most of a second to load: only for .xlsx.
    const { writeXlsx } = await import('./xlsx.js');
    ({ cutCells } = await writeXlsx(options.output, columns, rows));
  }
  return { rows: rows.length, columns: columns.length, format, badLines: set.badLines, notRun, notInInput, cutCells };
}
