/**
 * Reads batch input as a stream of rows: CSV or TSV (header required, `id` first), JSONL
 * (`{"id", "inputs": {...}}` or a flat object with `id`) or an .xlsx sheet. Memory stays flat:
 * rows are yielded a read chunk at a time with the line (or sheet row) they start on, for
 * error messages.
 *
 * Row-level problems (ragged rows, bad JSON lines) are yielded as `problem` items so a caller
 * can report all of them; problems that make the whole file unreadable are thrown.
 */
import { readCsv } from './csv-rows.js';
import type { Header } from './header.js';
import { checkInputOptions, inputFormatOf, type InputFormat, type InputOptions } from './input-options.js';
import { readJsonl } from './jsonl-rows.js';
import { openText, type TextEncoding } from './text-source.js';

export { inputFormatOf, type InputFormat, type InputOptions } from './input-options.js';

export interface InputRow {
  kind: 'row';
  id: string;
  /** The line (CSV, JSONL) or sheet row (.xlsx) the row starts on. */
  line: number;
  /** Input values by variable name (without `id`). CSV values are strings; JSONL and sheet values are typed. */
  values: Record<string, unknown>;
  /** Values typed by a spreadsheet's guess (a number in a text column): converted to the declared type. */
  loose?: boolean;
}

export interface RowProblem {
  kind: 'problem';
  line: number;
  message: string;
}

/** Worth telling the user, not worth stopping for (a header name with spaces around it). */
export interface RowWarning {
  kind: 'warning';
  line: number;
  message: string;
}

export type InputItem = InputRow | RowProblem | RowWarning;

export type LineEnding = '\r\n' | '\n' | '\r';

/** Where a batch starts in the file, so a later pass can begin there instead of at the top. */
export interface ResumePoint {
  /** Bytes after the byte-order mark (UTF-8), decoded characters (other encodings); unused for .xlsx, where `line` is the sheet row. */
  offset: number;
  line: number;
  /** What the first pass found, so a later one need not find it again (undefined at the top of the file). */
  header?: Header | undefined;
  newline?: LineEnding | undefined;
  delimiter?: string | undefined;
  encoding?: TextEncoding | undefined;
  /** .xlsx: the sheet being read. */
  sheet?: string | undefined;
}

export interface RowBatch {
  items: InputItem[];
  start: ResumePoint;
}

/**
 * Rows (and row-level problems) of a file in file order, a read chunk's worth at a time (a
 * million rows cost a few thousand awaits, not a million), each batch with the point it starts
 * at; `from` starts at such a point (it carries the options found on the first pass). Throws
 * InputError when the file as a whole is unusable or an option does not fit it.
 */
export async function* readRowBatches(
  file: string,
  format: InputFormat = inputFormatOf(file),
  from?: ResumePoint,
  options: InputOptions = {},
): AsyncGenerator<RowBatch> {
  const checked = from === undefined ? await checkInputOptions(file, format, options) : {};
  if (format === 'xlsx') {
    // The zip and XML readers load only when a workbook is read.
    const { readXlsx } = await import('./xlsx-rows.js');
    return yield* readXlsx(file, from ?? { offset: 0, line: 1, sheet: checked.sheet });
  }
  const at = from ?? { offset: 0, line: 1 };
  const source = await openText(file, checked.encoding, from?.encoding && { encoding: from.encoding, position: from.offset, line: from.line });
  try {
    yield* format === 'csv' ? readCsv(source, file, at, checked.delimiter) : readJsonl(source, file, at);
  } finally {
    source.close();
  }
}
