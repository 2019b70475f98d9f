/**
 * The input template `difyrun init` writes, in the format its file name asks for: .xlsx (typed
 * example cells, a drop-down for each select input), .tsv, .jsonl, or CSV.
 */
import { rename, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { InputVariable } from '../../protocol/index.js';

export type TemplateFormat = 'csv' | 'tsv' | 'xlsx' | 'jsonl';

export function templateFormatOf(file: string): TemplateFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  return 'csv';
}

/** Writes the template whole or not at all (a temp file renamed into place). */
export async function writeTemplate(file: string, format: TemplateFormat, variables: InputVariable[]): Promise<void> {
  const content = format === 'xlsx' ? await workbook(variables) : format === 'jsonl' ? jsonl(variables) : delimited(variables, format === 'tsv' ? '\t' : ',');
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, file);
}

function delimited(variables: InputVariable[], delimiter: string): string {
  const cell = (value: string) => (value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const line = (cells: string[]) => cells.map(cell).join(delimiter);
  return `${line(['id', ...variables.map((v) => v.variable)])}\n${line(['row1', ...variables.map(placeholder)])}\n`;
}

function jsonl(variables: InputVariable[]): string {
  return `${JSON.stringify({ id: 'row1', inputs: Object.fromEntries(variables.map((v) => [v.variable, typedPlaceholder(v)])) })}\n`;
}

/** Rows of the sheet that get a select input's drop-down. */
const DROPDOWN_ROWS = 1000;

async function workbook(variables: InputVariable[]): Promise<Buffer> {
  // Loaded here, not with the CLI: exceljs costs ~30 MB and most of a second to load.
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Inputs', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(['id', ...variables.map((v) => v.variable)]).font = { bold: true };
  // Numbers and checkboxes as typed cells; everything else as the text a CSV would hold.
  sheet.addRow(['row1', ...variables.map((v) => (v.type === 'number' ? 42 : v.type === 'checkbox' ? true : placeholder(v)))]);
  sheet.getColumn(1).width = 12;
  variables.forEach((variable, index) => {
    const column = sheet.getColumn(index + 2);
    column.width = Math.min(60, Math.max(14, String(placeholder(variable)).length + 2));
    const header = sheet.getCell(1, index + 2);
    header.note = `${variable.label || variable.variable}: ${variable.type}${variable.required ? ', required' : ''}`;
    if (variable.type === 'select' && variable.options?.length) {
      for (let row = 2; row <= DROPDOWN_ROWS; row++) {
        sheet.getCell(row, index + 2).dataValidation = {
          type: 'list',
          allowBlank: !variable.required,
          formulae: [`"${variable.options.join(',').replace(/"/g, '""')}"`],
        };
      }
    }
    if (variable.type === 'json_object' || variable.type === 'file-list') column.alignment = { wrapText: true };
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** A text placeholder that shows what each type takes. */
function placeholder(variable: InputVariable): string {
  switch (variable.type) {
    case 'number':
      return '42';
    case 'checkbox':
      return 'true';
    case 'select':
      return variable.options?.[0] ?? '';
    case 'json_object':
      return '{"key": "value"}';
    case 'file':
      return './path/to/file.pdf';
    case 'file-list':
      return './a.pdf;https://example.com/b.png';
    case 'paragraph':
      return `<${variable.label || variable.variable}: longer text${variable.max_length ? `, up to ${variable.max_length} chars` : ''}>`;
    default:
      return `<${variable.label || variable.variable}${variable.max_length ? `, up to ${variable.max_length} chars` : ''}>`;
  }
}

/** The same placeholder as a typed JSON value. */
function typedPlaceholder(variable: InputVariable): unknown {
  if (variable.type === 'number') return 42;
  if (variable.type === 'checkbox') return true;
  if (variable.type === 'json_object') return { key: 'value' };
  if (variable.type === 'file-list') return ['./a.pdf', 'https://example.com/b.png'];
  return placeholder(variable);
}
