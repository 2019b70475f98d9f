/** `difyrun export`: a results file as a CSV or XLSX table (the format from the extension). */
import { extname } from 'node:path';
import { orderedRows } from '../input-order.js';
import { indexResults, namesOf, ResultReader } from '../result-index.js';
import type { ResultRow } from '../result-set.js';
import { ColumnNames } from './columns.js';
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

/**
 * Rows are read back from the results file one at a time. Without --input the index knows the
 * columns, so they are read once; with it (not-run rows, the input's expectations) twice: once
 * for the columns, once to write them.
 */
export async function exportResults(options: ExportOptions): Promise<ExportReport> {
  const format = exportFormatOf(options.output);
  if (format === undefined) throw new Error(`-o ${options.output}: the export format comes from the extension: .csv or .xlsx`);
  const index = await indexResults(options.results);
  const reader = await ResultReader.open(index);
  try {
    const names = new ColumnNames();
    const counts = { notRun: 0, notInInput: 0 };
    /** The first rows, for the XLSX column widths. */
    const sample: ResultRow[] = [];
    let rows = index.ids.length;
    if (options.input === undefined) {
      const known = namesOf(index);
      names.addNames(known.inputs, known.outputs);
      for (let slot = 0; slot < Math.min(200, rows) && format === 'xlsx'; slot++) sample.push(await reader.row(slot));
    } else {
      rows = 0;
      for await (const row of orderedRows(reader, options.input, counts)) {
        names.add(row);
        if (sample.length < 200) sample.push(row);
        rows++;
      }
    }
    const columns = names.columns();
    const again = () => orderedRows(reader, options.input, { notRun: 0, notInInput: 0 });
    let cutCells = 0;
    if (format === 'csv') await writeCsv(options.output, columns, again());
    else {
      // exceljs (the XLSX writer) costs ~30 MB and most of a second to load: only for .xlsx.
      const { writeXlsx } = await import('./xlsx.js');
      ({ cutCells } = await writeXlsx(options.output, columns, sample, again()));
    }
    return { rows, columns: columns.length, format, badLines: index.badLines, ...counts, cutCells };
  } finally {
    await reader.close();
  }
}
