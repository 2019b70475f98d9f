/**
 * What a sheet's cells refer to, read from the workbook's other parts: the sheets in tab order
 * (workbook.xml and its relationships), the shared-strings table, and which cell styles show
 * a date (styles.xml: a built-in date format, or a custom format with y m d h s in it).
 */
import { attribute, readXml, relationships, WorkbookError, type WorkbookZip } from './xlsx-zip.js';

const RELATIONSHIP = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/';

export interface BookParts {
  /** Sheets in tab order, with the part holding each. */
  sheets: { name: string; part: string }[];
  date1904: boolean;
  sharedStrings: string[];
  /** By cell style index (a cell's `s`): does it show its number as a date? */
  dateStyles: boolean[];
}

export async function readBookParts(zip: WorkbookZip): Promise<BookParts> {
  const book = await workbookPart(zip);
  const rels = await relationships(zip, book);
  const partOfType = (type: string, fallback: string) =>
    [...rels.values()].find((rel) => rel.type.endsWith(`/${type}`))?.part ?? (zip.has(fallback) ? fallback : undefined);
  const sheets: { name: string; part: string }[] = [];
  let date1904 = false;
  let root: string | undefined;
  await readXml(zip, book, {
    open(name, tag) {
      root ??= name;
      if (name === 'workbookPr') date1904 = isTrue(attribute(tag, 'date1904'));
      if (name !== 'sheet') return;
      const rel = rels.get(attribute(tag, 'id') ?? '');
      const sheetName = attribute(tag, 'name');
      // Chart sheets and dialog sheets have no cells: not sheets a batch can read.
      if (rel !== undefined && sheetName !== undefined && rel.type.endsWith('/worksheet')) sheets.push({ name: sheetName, part: rel.part });
    },
  });
  if (root !== 'workbook') throw new WorkbookError(NOT_A_WORKBOOK(zip));
  const strings = partOfType('sharedStrings', 'xl/sharedStrings.xml');
  const styles = partOfType('styles', 'xl/styles.xml');
  return {
    sheets,
    date1904,
    sharedStrings: strings === undefined ? [] : await readSharedStrings(zip, strings),
    dateStyles: styles === undefined ? [] : await readDateStyles(zip, styles),
  };
}

/** The main part, from the package's relationships (`xl/workbook.xml` in every file Excel writes). */
async function workbookPart(zip: WorkbookZip): Promise<string> {
  const main = [...(await relationships(zip, '')).values()].find((rel) => rel.type === `${RELATIONSHIP}officeDocument` || rel.type.endsWith('/officeDocument'));
  const part = main?.part ?? 'xl/workbook.xml';
  if (part.endsWith('.bin')) throw new WorkbookError('this is a binary workbook (.xlsb): save it as .xlsx (Excel Workbook) or as CSV UTF-8');
  if (!zip.has(part)) throw new WorkbookError(NOT_A_WORKBOOK(zip));
  return part;
}

const NOT_A_WORKBOOK = (zip: WorkbookZip) =>
  zip.has('word/document.xml') || zip.has('ppt/presentation.xml')
    ? 'this is a Word or PowerPoint file, not an Excel workbook'
    : 'a zip file, but not an Excel workbook (it has no xl/workbook.xml)';

/** `<si>` items: the text of `<t>` directly in them or in rich-text runs `<r><t>`, not phonetic hints `<rPh><t>`. */
async function readSharedStrings(zip: WorkbookZip, part: string): Promise<string[]> {
  const strings: string[] = [];
  let current: string | undefined;
  let reading = false;
  let phonetic = false;
  await readXml(zip, part, {
    open(name) {
      if (name === 'si') current = '';
      else if (name === 't' && current !== undefined && !phonetic) reading = true;
      else if (name === 'rPh') phonetic = true;
    },
    text(text) {
      if (reading) current += text;
    },
    close(name) {
      if (name === 't') reading = false;
      else if (name === 'rPh') phonetic = false;
      else if (name === 'si' && current !== undefined) {
        strings.push(unescapeOoxml(current));
        current = undefined;
      }
    },
  });
  return strings;
}

/** Excel writes characters XML cannot hold (a carriage return, control characters) as `_xHHHH_`; `_x005F_` escapes an underscore. */
export function unescapeOoxml(text: string): string {
  return text.includes('_x') ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/**
 * Built-in number formats that show dates and times: 14–22 and 45–47 everywhere, 27–36 and
 * 50–58 in the East Asian locales (era and CJK date formats).
 */
function isBuiltInDate(id: number): boolean {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58);
}

/** A custom number format that shows a date or time: y m d h s outside quoted text, escapes, fills and [colour] tags. */
export function isDateFormat(format: string): boolean {
  return /[ymdhs]/i.test(format.replace(/\[[^\]]*]|"[^"]*"|\\.|_.|\*./g, ''));
}

/** `<numFmts>` (custom formats by id) then `<cellXfs><xf numFmtId>`: one flag per cell style. */
async function readDateStyles(zip: WorkbookZip, part: string): Promise<boolean[]> {
  const custom = new Map<number, string>();
  const styles: boolean[] = [];
  let inCellXfs = false;
  await readXml(zip, part, {
    open(name, tag) {
      if (name === 'numFmt') custom.set(Number(attribute(tag, 'numFmtId')), attribute(tag, 'formatCode') ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) {
        const id = Number(attribute(tag, 'numFmtId') ?? 0);
        const format = custom.get(id);
        styles.push(format === undefined ? isBuiltInDate(id) : isDateFormat(format));
      }
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return styles;
}

function isTrue(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
