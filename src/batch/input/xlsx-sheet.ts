/**
 * The cells of one .xlsx sheet, row by row, as plain values. exceljs's WorkbookReader unzips
 * the workbook and reads its shared strings, styles and sheet names; the sheet's XML is read
 * here with saxes, without exceljs's Row and Cell objects: building those for every cell made
 * a 100,000-row sheet cost ~100 MB more (BENCHMARKS.md, batch-xlsx). Uses the reader's
 * `iterator`, `sharedStrings`, `styles` and `properties`, hence exceljs pinned to 4.4.0.
 */
import ExcelJS from 'exceljs';
import { SaxesParser } from 'saxes';

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

interface ReaderInternals {
  model?: { sheets?: { name: string }[] };
  sharedStrings?: (string | null | { richText: { text: string | null }[] })[];
  styles: { getStyleModel(id: number): { numFmt?: string } | null };
  properties?: { date1904?: boolean };
}

interface SheetInternals {
  name: string;
  iterator: AsyncIterable<Buffer | string>;
}

export interface Workbook {
  /** Sheet names in tab order. */
  sheetNames(): string[];
  /** Rows of the named sheet (undefined: the first), a parsed chunk's worth at a time; undefined when there is no such sheet. */
  rows(sheet: string | undefined): AsyncGenerator<SheetRow[]>;
  close(): void;
}

export function openWorkbook(file: string): Workbook {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  const internals = reader as unknown as ReaderInternals;
  const sheetNames = () => (internals.model?.sheets ?? []).map((sheet) => sheet.name);
  return {
    sheetNames,
    async *rows(wanted) {
      for await (const sheet of reader as AsyncIterable<unknown>) {
        const { name, iterator } = sheet as SheetInternals;
        // xl/workbook.xml (the tab order) comes before the sheets in the files Excel and others write.
        if (name !== (wanted ?? sheetNames()[0] ?? name)) continue;
        yield* parseSheet(iterator, internals);
        return;
      }
    },
    close: () => (reader as unknown as { stream?: { destroy(): void } }).stream?.destroy(),
  };
}

async function* parseSheet(xml: AsyncIterable<Buffer | string>, book: ReaderInternals): AsyncGenerator<SheetRow[]> {
  const parser = new SaxesParser();
  const date1904 = book.properties?.date1904 === true;
  let done: SheetRow[] = [];
  let row: SheetRow | undefined;
  let lastRow = 0;
  let cell: { column: number; type: string; style: number; text: string } | undefined;
  let reading: 'v' | 't' | undefined;
  let phonetic = false;
  let failure: Error | undefined;
  parser.on('error', (error) => (failure ??= error));
  parser.on('opentag', (node) => {
    const attributes = node.attributes as Record<string, string>;
    switch (node.name) {
      case 'row':
        lastRow = attributes.r ? Number(attributes.r) : lastRow + 1;
        row = { number: lastRow, cells: [] };
        break;
      case 'c':
        if (row) cell = { column: attributes.r ? columnIndex(attributes.r) : row.cells.length, type: attributes.t ?? 'n', style: Number(attributes.s ?? 0), text: '' };
        break;
      case 'v':
        if (cell) reading = 'v';
        break;
      case 't':
        // <is><t> (an inline string, perhaps in rich-text runs <r><t>); not <rPh><t> (phonetic hints).
        if (cell?.type === 'inlineStr' && !phonetic) reading = 't';
        break;
      case 'rPh':
        phonetic = true;
        break;
    }
  });
  parser.on('text', (text) => {
    if (reading && cell) cell.text += text;
  });
  parser.on('closetag', (node) => {
    if (node.name === 'v' || node.name === 't') reading = undefined;
    else if (node.name === 'rPh') phonetic = false;
    else if (node.name === 'c' && cell && row) {
      while (row.cells.length < cell.column) row.cells.push('');
      row.cells[cell.column] = cellValue(cell, book, date1904);
      cell = undefined;
    } else if (node.name === 'row' && row) {
      done.push(row);
      row = undefined;
    }
  });
  const utf8 = new TextDecoder();
  for await (const chunk of xml) {
    parser.write(typeof chunk === 'string' ? chunk : utf8.decode(chunk, { stream: true }));
    if (failure) throw failure;
    if (done.length > 0) {
      yield done;
      done = [];
    }
  }
  parser.close();
  if (failure) throw failure;
  if (done.length > 0) yield done;
}

function cellValue(cell: { type: string; style: number; text: string }, book: ReaderInternals, date1904: boolean): CellValue {
  const { type, text } = cell;
  switch (type) {
    case 's': {
      const shared = book.sharedStrings?.[Number(text)];
      // exceljs keeps an empty shared string (<si><t/></si>) as null.
      if (shared === undefined || shared === null) return '';
      return typeof shared === 'string' ? shared : shared.richText.map((run) => run.text ?? '').join('');
    }
    case 'inlineStr':
    case 'str':
      return text;
    case 'b':
      return text === '1';
    case 'e':
      return new CellError(text);
    case 'd':
      return text;
    default: {
      if (text === '') return '';
      const number = Number(text);
      return isDateFormat(book.styles.getStyleModel(cell.style)?.numFmt) ? isoDate(number, date1904) : number;
    }
  }
}

/** A number format that shows a date or time: y m d h s outside quoted text and [colour] tags. */
function isDateFormat(format: string | undefined): boolean {
  return format !== undefined && /[ymdhs]/i.test(format.replace(/\[[^\]]*]|"[^"]*"|\\./g, ''));
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
