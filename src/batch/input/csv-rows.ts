/**
 * CSV rows, streamed: the delimiter given or detected from the first lines (`,` `;` TAB `|`),
 * the line ending from the first line end, Papa Parse for the records. Positions are in the
 * text source's units, so a later pass can start at any batch.
 */
import Papa from 'papaparse';
import { checkHeader, csvColumn, shapeProblem, type Header } from './header.js';
import { InputError } from './input-error.js';
import { delimiterName, GUESSED_DELIMITERS } from './input-options.js';
import type { InputItem, InputRow, LineEnding, ResumePoint, RowBatch } from './read-rows.js';
import type { TextSource } from './text-source.js';

export async function* readCsv(source: TextSource, file: string, from: ResumePoint, givenDelimiter: string | undefined): AsyncGenerator<RowBatch> {
  let header = from.header;
  let delimiter = from.delimiter ?? givenDelimiter;
  let newline = from.newline;
  let parser = newline === undefined ? undefined : new Papa.Parser({ newline, delimiter });
  let nextLine = from.line;
  let offset = from.offset;
  let rows = 0;
  let carry = '';
  let waitFor = 0;
  const encoding = source.encoding;
  // Each parse's complete records. Papa Parse reads on past a malformed quote, so the first
  // quote error ends the file: everything after it would be misread.
  const records = (data: string[][], errors: Papa.ParseError[], final: boolean): InputItem[] => {
    const quoteError = errors.find((e) => e.type === 'Quotes' && (final || (e.row ?? 0) < data.length));
    if (quoteError) {
      const row = quoteError.row ?? 0;
      const line = nextLine + row + countNewlines(data.slice(0, row).flat());
      throw new InputError(
        file,
        line,
        quoteError.code === 'InvalidQuotes'
          ? 'not valid CSV: text after the closing quote of a quoted field (write a quote inside a quoted field as "")'
          : 'not valid CSV: a quoted field is never closed (a missing closing quote)',
      );
    }
    const items: InputItem[] = [];
    for (const record of data) {
      const line = nextLine;
      nextLine += 1 + countNewlines(record);
      if (record[0] === '' && isBlank(record)) continue; // an empty line, or Excel's ",,,"
      if (header === undefined) {
        const checked = checkHeader(record, file, line, csvColumn, noIdHint(record, delimiter!));
        header = checked.header;
        if (checked.warning) items.push({ kind: 'warning', line, message: checked.warning });
        continue;
      }
      rows++;
      if (record.length !== header.names.length || header.named !== header.names.length) {
        const problem = shapeProblem(header, record, true);
        if (problem !== undefined) {
          items.push({ kind: 'problem', line, message: problem.startsWith('has ') ? `${problem} (check quotes and ${delimiterName(delimiter!)})` : problem });
          continue;
        }
      }
      items.push(new CsvRow(record, header, line));
    }
    return items;
  };
  const parse = (final: boolean): RowBatch => {
    const start: ResumePoint = { offset, line: nextLine, header, newline, delimiter, encoding };
    const result = parser!.parse(carry, 0, !final) as Papa.ParseResult<string[]>;
    const rest = final ? '' : carry.slice(result.meta.cursor);
    offset += source.measure(carry) - source.measure(rest);
    carry = rest;
    waitFor = result.data.length === 0 ? carry.length * 2 : 0;
    return { items: records(result.data, result.errors, final), start };
  };
  for await (const chunk of source.chunks) {
    carry += chunk;
    if (parser === undefined) {
      if (!/[\r\n]/.test(carry)) continue;
      newline = lineEndingOf(carry);
      delimiter ??= guessDelimiter(carry, newline);
      parser = new Papa.Parser({ newline, delimiter });
    }
    // A record longer than what is buffered (a huge cell, or a quote never closed) is parsed
    // again only once the buffer has doubled, so a long record costs O(n log n), not O(n²).
    if (carry.length < waitFor) continue;
    yield parse(false);
  }
  if (carry !== '') {
    delimiter ??= guessDelimiter(carry, '\n');
    parser ??= new Papa.Parser({ newline: '\n', delimiter });
    yield parse(true);
  }
  if (header === undefined) throw new InputError(file, undefined, 'the file is empty (expected a header row starting with "id")');
  if (rows === 0 && from.offset === 0) throw new InputError(file, undefined, 'the file has a header but no rows');
}

/** A CSV row. Its values object is built only when asked for: a resumed run passes over most rows without it. */
class CsvRow implements InputRow {
  readonly kind = 'row';
  readonly id: string;
  readonly #record: string[];
  readonly #header: Header;
  #values: Record<string, unknown> | undefined;

  constructor(
    record: string[],
    header: Header,
    readonly line: number,
  ) {
    this.id = record[0]!;
    this.#record = record;
    this.#header = header;
  }

  get values(): Record<string, unknown> {
    if (this.#values === undefined) {
      this.#values = {};
      for (let i = 1; i < this.#header.named; i++) this.#values[this.#header.names[i]!] = this.#record[i] ?? '';
    }
    return this.#values;
  }
}

/**
 * The delimiter of the first lines: among `,` `;` TAB `|`, the one that puts "id" alone in the
 * first header cell and splits the most rows into as many cells as the header; else the one
 * that splits the rows most evenly (Papa Parse's guess); else a comma.
 */
function guessDelimiter(text: string, newline: LineEnding): string {
  let best = { delimiter: ',', score: -1 };
  for (const delimiter of GUESSED_DELIMITERS) {
    const { data } = Papa.parse<string[]>(text, { delimiter, newline, preview: 20 });
    const [head, ...rest] = data.filter((record) => !isBlank(record));
    if (head === undefined || head.length < 2) continue;
    const even = rest.filter((record) => record.length === head.length).length;
    const score = (head[0]!.trim().toLowerCase() === 'id' ? 1000 : 0) + even;
    if (score > best.score) best = { delimiter, score };
  }
  if (best.score >= 0) return best.delimiter;
  const guess = Papa.parse(text, { newline, preview: 20, delimitersToGuess: GUESSED_DELIMITERS });
  return guess.meta.delimiter || ',';
}

/** For a header without "id": the delimiter in use, when another one would have found it. */
function noIdHint(record: string[], delimiter: string): string {
  const joined = record.join(delimiter);
  const other = GUESSED_DELIMITERS.find((d) => d !== delimiter && joined.trim().toLowerCase().startsWith(`id${d}`));
  return other === undefined
    ? ''
    : ` — the file seems to use ${delimiterName(other)}, not ${delimiterName(delimiter)}: try --delimiter "${other === '\t' ? 'tab' : other}"`;
}

function isBlank(record: string[]): boolean {
  for (const field of record) if (field.trim() !== '') return false;
  return true;
}

/** The record separator, from the first line end in the file: CRLF (Excel), LF, or CR. */
function lineEndingOf(text: string): LineEnding {
  const at = text.search(/[\r\n]/);
  if (at === -1 || text[at] === '\n') return '\n';
  return text[at + 1] === '\n' ? '\r\n' : '\r';
}

function countNewlines(record: string[]): number {
  let count = 0;
  for (const field of record) for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) count++;
  return count;
}
