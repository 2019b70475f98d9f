/**
 * Rows of an .xlsx sheet (the first, or --sheet NAME), streamed with exceljs's WorkbookReader so
 * a large workbook is never held in memory. Cells keep their type: numbers stay numbers,
 * booleans booleans, dates become ISO strings, formulas give their cached result. Blank rows
 * and trailing empty columns are ignored; an error cell (#N/A) is a problem of its row.
 *
 * A workbook is a zip: there is no offset to seek to. A later pass reads from the top again
 * and skips the sheet rows before its resume point's `line`.
 */
import ExcelJS from 'exceljs';
import { checkHeader, shapeProblem, sheetColumn } from './header.js';
import { InputError } from './input-error.js';
import type { InputItem, InputRow, ResumePoint, RowBatch } from './read-rows.js';

const BATCH_ROWS = 500;

type Cell = ExcelJS.CellValue;

export async function* readXlsx(file: string, from: ResumePoint): AsyncGenerator<RowBatch> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  let header = from.header;
  let sheetName = from.sheet;
  let found = false;
  let rows = 0;
  try {
    for await (const sheet of reader) {
      sheetName ??= firstSheet(reader) ?? nameOf(sheet);
      if (nameOf(sheet) !== sheetName) continue;
      found = true;
      let items: InputItem[] = [];
      let start: ResumePoint = { offset: 0, line: from.line, header, sheet: sheetName };
      for await (const row of sheet) {
        if (row.number < from.line) continue;
        const cells = cellsOf(row.values as Cell[]);
        if (cells.every(isEmpty)) continue;
        if (header === undefined) {
          const checked = checkHeader(cells.map(headerText), file, row.number, sheetColumn);
          header = checked.header;
          if (checked.warning) items.push({ kind: 'warning', line: row.number, message: checked.warning });
        } else {
          rows++;
          items.push(rowItem(cells, row.number, header));
        }
        if (items.length >= BATCH_ROWS) {
          yield { items, start };
          items = [];
          start = { offset: 0, line: row.number + 1, header, sheet: sheetName };
        }
      }
      if (items.length > 0) yield { items, start };
      break;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(file, undefined, `cannot read the workbook (${(error as Error).message}): is it an .xlsx file?`);
  } finally {
    (reader as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
  if (!found) throw new InputError(file, undefined, `no sheet named "${sheetName}" (sheets: ${sheetNames(reader).join(', ') || 'none'})`);
  if (header === undefined) throw new InputError(file, undefined, `sheet "${sheetName}" is empty (expected a header row starting with "id")`);
  if (rows === 0 && from.header === undefined) throw new InputError(file, undefined, `sheet "${sheetName}" has a header but no rows`);
}

function rowItem(cells: Cell[], line: number, header: NonNullable<ResumePoint['header']>): InputItem {
  const values: Record<string, unknown> = {};
  const plain: unknown[] = [];
  for (let index = 0; index < cells.length; index++) {
    const value = plainValue(cells[index]);
    if (value instanceof CellError) return { kind: 'problem', line, message: `${header.columnLabel(index)} holds the Excel error ${value.code}` };
    plain.push(value);
  }
  const problem = shapeProblem(header, plain, false);
  if (problem !== undefined) return { kind: 'problem', line, message: problem };
  for (let i = 1; i < header.named; i++) values[header.names[i]!] = plain[i] ?? '';
  const id = plain[0] ?? '';
  const row: InputRow = { kind: 'row', id: typeof id === 'string' ? id : String(id), line, values, loose: true };
  return row;
}

class CellError {
  constructor(readonly code: string) {}
}

/** A cell as the value to send: '' for an empty cell (as in a CSV), dates as ISO strings. */
function plainValue(cell: Cell): unknown {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return isoDate(cell);
  if (typeof cell !== 'object') return cell;
  if ('error' in cell) return new CellError(String(cell.error));
  if ('richText' in cell) return cell.richText.map((part) => part.text).join('');
  if ('formula' in cell || 'sharedFormula' in cell) return plainValue((cell as { result?: Cell }).result ?? null);
  if ('text' in cell) return typeof cell.text === 'string' ? cell.text : plainValue(cell.text as Cell);
  return JSON.stringify(cell);
}

/**
 * Excel stores a date as days since 1900 with no time zone; exceljs reads it as UTC. A date
 * alone becomes "2024-03-01", a date and time "2024-03-01T09:30:00" (no zone: Excel has none).
 */
function isoDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}

function headerText(cell: Cell): string {
  const value = plainValue(cell);
  return value instanceof CellError ? value.code : String(value);
}

/** row.values is 1-based and sparse; trailing empty cells are dropped. */
function cellsOf(values: Cell[]): Cell[] {
  const cells: Cell[] = [];
  for (let i = 1; i < values.length; i++) cells.push(values[i] ?? null);
  while (cells.length > 0 && isEmpty(cells[cells.length - 1]!)) cells.pop();
  return cells;
}

function isEmpty(cell: Cell): boolean {
  return cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');
}

interface WorkbookModel {
  model?: { sheets?: { name: string }[] };
}

function sheetNames(reader: unknown): string[] {
  return ((reader as WorkbookModel).model?.sheets ?? []).map((sheet) => sheet.name);
}

/** The first tab of the workbook (xl/workbook.xml is read before the sheets in the files Excel and others write). */
function firstSheet(reader: unknown): string | undefined {
  return sheetNames(reader)[0];
}

function nameOf(sheet: unknown): string {
  return (sheet as { name: string }).name;
}
