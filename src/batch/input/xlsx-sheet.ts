/**
 * The cells of one .xlsx sheet, row by row, as plain values. The zip is read with yauzl
 * (xlsx-zip.ts), the shared strings, styles and sheet list with saxes (xlsx-parts.ts), and the
 * sheet's XML streamed here: no Row or Cell objects, no workbook model. (exceljs did this
 * before; its code and its models cost ~100 MB more for a 100,000-row sheet: BENCHMARKS.md,
 * batch-xlsx.)
 */
import { readBookParts, unescapeOoxml, type BookParts } from './xlsx-parts.js';
import { attribute, openZip, xmlParser, type WorkbookZip } from './xlsx-zip.js';

export { WorkbookError } from './xlsx-zip.js';

/** An error cell (#N/A, #DIV/0!): refused with its row and column. */
export class CellError {
  constructor(readonly code: string) {}
}

export type CellValue = string | number | boolean | CellError;

export interface SheetRow {
  /** The sheet row number (1-based). */
  number: number;
  /** Cells by column index (0 = A); '' where a cell is empty or absent. */
  cells: CellValue[];
}

export interface Workbook {
  /** Sheet names in tab order. */
  sheetNames: string[];
  /** Rows of the named sheet (undefined: the first), a parsed chunk's worth at a time; nothing when there is no such sheet. */
  rows(sheet: string | undefined): AsyncGenerator<SheetRow[]>;
  close(): void;
}

export async function openWorkbook(file: string): Promise<Workbook> {
  const zip = await openZip(file);
  let parts: BookParts;
  try {
    parts = await readBookParts(zip);
  } catch (error) {
    zip.close();
    throw error;
  }
  return {
    sheetNames: parts.sheets.map((sheet) => sheet.name),
    async *rows(wanted) {
      const sheet = wanted === undefined ? parts.sheets[0] : parts.sheets.find((candidate) => candidate.name === wanted);
      if (sheet !== undefined) yield* parseSheet(zip, sheet.part, parts);
    },
    close: () => zip.close(),
  };
}

interface OpenCell {
  column: number;
  type: string;
  style: number;
  text: string;
}

async function* parseSheet(zip: WorkbookZip, part: string, book: BookParts): AsyncGenerator<SheetRow[]> {
  let done: SheetRow[] = [];
  let row: SheetRow | undefined;
  let lastRow = 0;
  let cell: OpenCell | undefined;
  let reading = false;
  let phonetic = false;
  const parser = xmlParser(part, {
    open(name, tag) {
      switch (name) {
        case 'row': {
          const number = attribute(tag, 'r');
          lastRow = number ? Number(number) : lastRow + 1;
          row = { number: lastRow, cells: [] };
          break;
        }
        case 'c':
          if (row) {
            const reference = attribute(tag, 'r');
            cell = {
              column: reference ? columnIndex(reference) : row.cells.length,
              type: attribute(tag, 't') ?? 'n',
              style: Number(attribute(tag, 's') ?? 0),
              text: '',
            };
          }
          break;
        case 'v':
          if (cell) reading = true;
          break;
        case 't':
          // <is><t> (an inline string, perhaps in rich-text runs <r><t>); not <rPh><t> (phonetic hints).
          if (cell?.type === 'inlineStr' && !phonetic) reading = true;
          break;
        case 'rPh':
          phonetic = true;
          break;
      }
    },
    text(text) {
      if (reading) cell!.text += text;
    },
    close(name) {
      if (name === 'v' || name === 't') reading = false;
      else if (name === 'rPh') phonetic = false;
      else if (name === 'c' && cell && row) {
        while (row.cells.length < cell.column) row.cells.push('');
        row.cells[cell.column] = cellValue(cell, book);
        cell = undefined;
      } else if (name === 'row' && row) {
        done.push(row);
        row = undefined;
      }
    },
  });
  for await (const text of zip.text(part)) {
    parser.write(text);
    if (done.length > 0) {
      yield done;
      done = [];
    }
  }
  parser.close();
  if (done.length > 0) yield done;
}

function cellValue(cell: OpenCell, book: BookParts): CellValue {
  const { type, text } = cell;
  switch (type) {
    case 's':
      return book.sharedStrings[Number(text)] ?? '';
    case 'inlineStr':
    case 'str':
      return unescapeOoxml(text);
    case 'b':
      return text === '1' || text === 'true';
    case 'e':
      return new CellError(text);
    case 'd':
      return text;
    default: {
      if (text === '') return '';
      const number = Number(text);
      return book.dateStyles[cell.style] === true ? isoDate(number, book.date1904) : number;
    }
  }
}

/**
 * Excel stores a date as days since 1900 (or 1904) with no time zone. A date alone becomes
 * "2024-03-01", a date and time "2024-03-01T09:30:00" (no zone: Excel has none).
 */
function isoDate(serial: number, date1904: boolean): string {
  const date = new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}

/** "C5" → 2. */
function columnIndex(reference: string): number {
  let index = 0;
  for (let i = 0; i < reference.length; i++) {
    const code = reference.charCodeAt(i);
    if (code < 65 || code > 90) break;
    index = index * 26 + (code - 64);
  }
  return index - 1;
}
