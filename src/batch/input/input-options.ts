/**
 * How to read an input file: its format (by extension), the CSV delimiter and the text
 * encoding (given, or found while reading), the workbook sheet. `--delimiter`, `--encoding`
 * and `--sheet` are checked here, before anything is read.
 */
import { extname } from 'node:path';
import { InputError } from './input-error.js';

export type InputFormat = 'csv' | 'jsonl' | 'xlsx';

/** What the user asked for; anything left out is detected. */
export interface InputOptions {
  /** One character; detected from the first lines when absent (TAB for .tsv). */
  delimiter?: string | undefined;
  /** An encoding name iconv-lite knows; by byte-order mark, else UTF-8, when absent. */
  encoding?: string | undefined;
  /** .xlsx: the sheet to read (default: the first). */
  sheet?: string | undefined;
}

export function inputFormatOf(file: string): InputFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.xlsx' || ext === '.xlsm') return 'xlsx';
  return 'csv';
}

/** The delimiter a file's name implies (.tsv, .tab), if any. */
export function delimiterByExtension(file: string): string | undefined {
  return /\.(tsv|tab)$/i.test(file) ? '\t' : undefined;
}

/** The delimiters tried when a CSV does not say (Excel's default is `;` where `,` is the decimal mark). */
export const GUESSED_DELIMITERS = [',', ';', '\t', '|'];

const DELIMITER_NAMES: Record<string, string> = { comma: ',', semicolon: ';', tab: '\t', '\\t': '\t', pipe: '|' };

/** `--delimiter`: one character, or comma / semicolon / tab / pipe; undefined when it is neither. */
export function parseDelimiter(value: string): string | undefined {
  const delimiter = DELIMITER_NAMES[value.toLowerCase()] ?? value;
  return [...delimiter].length !== 1 || /["\r\n]/.test(delimiter) ? undefined : delimiter;
}

/** A delimiter as words, for messages. */
export function delimiterName(delimiter: string): string {
  return { ',': 'commas', ';': 'semicolons', '\t': 'tabs', '|': 'pipes' }[delimiter] ?? `"${delimiter}"`;
}

/** Whether an encoding name means UTF-8 (read by the fast, strict path). */
export function isUtf8(encoding: string | undefined): boolean {
  return encoding === undefined || /^utf-?8$/i.test(encoding);
}

/**
 * Checks the options against the file's format and normalises them (`tab` → TAB); an error is
 * one line naming the option at fault. `--encoding` takes any name iconv-lite knows.
 */
export async function checkInputOptions(file: string, format: InputFormat, options: InputOptions): Promise<InputOptions> {
  const fail = (message: string): never => {
    throw new InputError(file, undefined, message);
  };
  if (options.sheet !== undefined && format !== 'xlsx') fail(`--sheet applies to .xlsx input only (this file is read as ${format.toUpperCase()})`);
  if (format === 'xlsx' && options.delimiter !== undefined) fail('--delimiter does not apply to an .xlsx workbook');
  if (format === 'xlsx' && options.encoding !== undefined) fail('--encoding does not apply to an .xlsx workbook (its text is always Unicode)');
  if (format === 'jsonl' && options.delimiter !== undefined) fail('--delimiter does not apply to JSONL input');
  let delimiter = delimiterByExtension(file);
  if (options.delimiter !== undefined) {
    delimiter = parseDelimiter(options.delimiter) ?? fail(`--delimiter must be one character (or comma, semicolon, tab, pipe), got "${options.delimiter}"`);
  }
  if (options.encoding !== undefined && !isUtf8(options.encoding) && !(await import('iconv-lite')).default.encodingExists(options.encoding)) {
    fail(
      `--encoding: unknown encoding "${options.encoding}" (known: utf-8, utf-16le, utf-16be, shift_jis, cp932, euc-jp, gbk, gb18030, big5, euc-kr, windows-1252, latin1 and more)`,
    );
  }
  return { delimiter, encoding: options.encoding?.toLowerCase(), sheet: options.sheet };
}
