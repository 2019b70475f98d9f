/**
 * Rows of an .xlsx sheet (the first, or --sheet NAME), streamed (xlsx-sheet.ts) so a large
 * workbook is never held in memory. Cells keep their type: numbers stay numbers, booleans
 * booleans, dates become ISO strings, formulas give their cached result. Blank rows and
 * trailing empty columns are ignored; an error cell (#N/A) is a problem of its row.
 *
 * A workbook is a zip: there is no offset to seek to. A later pass reads from the top again
 * and skips the sheet rows before its resume point's `line`.
 */
import { createReadStream } from 'node:fs';
import { checkHeader, shapeProblem, sheetColumn, type Header } from './header.js';
import { InputError } from './input-error.js';
import type { InputItem, InputRow, ResumePoint, RowBatch } from './read-rows.js';
import { isOldExcel, isZip, OLD_EXCEL, readHead } from './text-source.js';
import { CellError, openWorkbook, WorkbookError, type CellValue } from './xlsx-sheet.js';

export async function* readXlsx(file: string, from: ResumePoint): AsyncGenerator<RowBatch> {
  const head = await readHead(file, 4);
  if (isOldExcel(head)) throw new InputError(file, undefined, (await isEncryptedWorkbook(file)) ? ENCRYPTED : OLD_EXCEL);
  if (!isZip(head)) throw new InputError(file, undefined, 'not an .xlsx workbook (those are zip files): if it is CSV text, name it .csv');
  const book = await openWorkbook(file).catch((error: unknown) => {
    throw error instanceof WorkbookError ? new InputError(file, undefined, error.message) : error;
  });
  const names = book.sheetNames;
  const sheetName = from.sheet ?? names[0];
  if (sheetName !== undefined && !names.includes(sheetName)) {
    book.close();
    throw new InputError(file, undefined, `no sheet named "${sheetName}" (sheets: ${names.join(', ') || 'none'})`);
  }
  let header = from.header;
  let rows = 0;
  try {
    for await (const sheetRows of book.rows(sheetName)) {
      const start: ResumePoint = { offset: 0, line: Math.max(from.line, sheetRows[0]!.number), header, sheet: sheetName };
      const items: InputItem[] = [];
      for (const row of sheetRows) {
        if (row.number < from.line) continue;
        const cells = trimEmpty(row.cells);
        if (cells.length === 0) continue;
        if (header === undefined) {
          const checked = checkHeader(cells.map(headerText), file, row.number, sheetColumn);
          header = checked.header;
          if (checked.warning) items.push({ kind: 'warning', line: row.number, message: checked.warning });
        } else {
          rows++;
          items.push(rowItem(cells, row.number, header));
        }
      }
      if (items.length > 0) yield { items, start };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (error instanceof WorkbookError) throw new InputError(file, undefined, error.message);
    throw new InputError(file, undefined, `cannot read the workbook (${(error as Error).message})`);
  } finally {
    book.close();
  }
  const label = sheetName === undefined ? 'the workbook' : `sheet "${sheetName}"`;
  if (header === undefined) throw new InputError(file, undefined, `${label} is empty (expected a header row starting with "id")`);
  if (rows === 0 && from.header === undefined) throw new InputError(file, undefined, `${label} has a header but no rows`);
}

const ENCRYPTED = 'this workbook is password-protected (encrypted): remove the password in Excel (File > Info > Protect Workbook) or save it as CSV UTF-8';

/**
 * A password-protected .xlsx is not a zip but an OLE compound file, like an old .xls; what
 * tells them apart is its "EncryptedPackage" stream. Its directory may sit anywhere in the
 * file, so the file is searched (only on this error path).
 */
async function isEncryptedWorkbook(file: string): Promise<boolean> {
  const name = Buffer.from('EncryptedPackage', 'utf16le');
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const window = Buffer.concat([tail, chunk]);
    if (window.includes(name)) return true;
    tail = window.subarray(Math.max(0, window.length - name.length));
  }
  return false;
}

function rowItem(cells: CellValue[], line: number, header: Header): InputItem {
  for (let index = 0; index < cells.length; index++) {
    const cell = cells[index];
    if (cell instanceof CellError) return { kind: 'problem', line, message: `${header.columnLabel(index)} holds the Excel error ${cell.code}` };
  }
  const problem = shapeProblem(header, cells, false);
  if (problem !== undefined) return { kind: 'problem', line, message: problem };
  const values: Record<string, unknown> = {};
  for (let i = 1; i < header.named; i++) values[header.names[i]!] = cells[i] ?? '';
  const id = cells[0] ?? '';
  const row: InputRow = { kind: 'row', id: typeof id === 'string' ? id : String(id), line, values, loose: true };
  return row;
}

function headerText(cell: CellValue): string {
  return cell instanceof CellError ? cell.code : String(cell);
}

/** The cells up to the last one with a value: Excel's formatted but empty cells are not columns. */
function trimEmpty(cells: CellValue[]): CellValue[] {
  let end = cells.length;
  while (end > 0 && isEmpty(cells[end - 1]!)) end--;
  return end === cells.length ? cells : cells.slice(0, end);
}

function isEmpty(cell: CellValue): boolean {
  return typeof cell === 'string' && cell.trim() === '';
}
