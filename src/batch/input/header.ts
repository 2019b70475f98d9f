/**
 * The header row of a CSV or a sheet: `id` first (any case), names trimmed (with a warning),
 * trailing empty header cells allowed (Excel keeps formatted empty columns) as long as their
 * column stays empty; every other problem names the column.
 */
import { InputError } from './input-error.js';

export interface Header {
  /** Trimmed names; [0] is the id column. Only the first `named` are columns with a name. */
  names: string[];
  named: number;
  /** How a column is called in messages: "column 5" (CSV) or "column E" (a sheet). */
  columnLabel: (index: number) => string;
}

export interface HeaderCheck {
  header: Header;
  /** Surrounding whitespace trimmed from names: worth a warning, not an error. */
  warning: string | undefined;
}

export const csvColumn = (index: number) => `column ${index + 1}`;

/** Spreadsheet column letters: 0 → A, 26 → AA. */
export const sheetColumn = (index: number) => {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return `column ${letters}`;
};

/** Checks a header row; `hint` is added to a "no id column" error (e.g. the delimiter in use). */
export function checkHeader(cells: string[], file: string, line: number, columnLabel: (index: number) => string, hint = ''): HeaderCheck {
  const fail = (message: string): never => {
    throw new InputError(file, line, message);
  };
  const names = cells.map((name) => name.trim());
  let named = names.length;
  while (named > 0 && names[named - 1] === '') named--;
  const idAt = names.findIndex((name) => name.toLowerCase() === 'id');
  if (idAt === -1) {
    if (named === 0) fail('the header row is empty (expected a header row starting with "id")');
    fail(`the header has no "id" column (found: ${names.slice(0, Math.min(named, 8)).join(', ')})${hint}`);
  }
  if (idAt !== 0) fail(`"id" must be the first column (it is ${columnLabel(idAt)})`);
  const seen = new Map<string, number>();
  for (let index = 0; index < named; index++) {
    const name = names[index]!;
    if (name === '') fail(`${columnLabel(index)} has an empty header name (name it, or delete the column)`);
    if (index > 0 && name.toLowerCase() === 'id') fail(`${columnLabel(index)} "${name}" repeats the id column`);
    const first = seen.get(name);
    if (first !== undefined) fail(`${columnLabel(index)} "${name}" has the same name as ${columnLabel(first)}`);
    seen.set(name, index);
  }
  const padded = cells.flatMap((cell, index) => (index < named && cell !== names[index] ? [`"${cell}"`] : []));
  const warning = padded.length === 0 ? undefined : `spaces around header ${padded.length === 1 ? 'name' : 'names'} ${padded.join(', ')} removed`;
  return { header: { names, named, columnLabel }, warning };
}

/**
 * A row's problem with the header's shape, or undefined: a value under a trailing empty header
 * cell or past the header. A CSV row (`counted`) must also have as many fields as the header
 * has names (a different count is a quoting slip), though it may stop short of trailing empty
 * columns; a sheet row's missing cells are just empty.
 */
export function shapeProblem(header: Header, cells: readonly unknown[], counted: boolean): string | undefined {
  const width = header.names.length;
  for (let index = header.named; index < cells.length; index++) {
    const cell = cells[index];
    if (cell === '' || cell === undefined || cell === null) continue;
    if (counted && index >= width) return `has ${cells.length} fields but the header has ${width}`;
    return `${header.columnLabel(index)} has no header name but this row has a value there ("${String(cell).slice(0, 40)}"): name the column or clear it`;
  }
  if (counted && cells.length < header.named) return `has ${cells.length} fields but the header has ${header.named}`;
  return undefined;
}
