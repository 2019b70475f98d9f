/**
 * .xlsx workbooks as other programs write them (hand-built parts, not exceljs's), and
 * workbooks that cannot be read: each refused with one line that says why.
 */
import assert from 'node:assert/strict';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ZipFile } from 'yazl';
import { readRowBatches, type InputItem } from '../../src/batch/input/read-rows.js';
import { tempDir } from '../helpers/batch-harness.js';

const dir = tempDir();
const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

async function writeZip(name: string, parts: Record<string, string>): Promise<string> {
  const path = join(dir, name);
  const zip = new ZipFile();
  for (const [part, text] of Object.entries(parts)) zip.addBuffer(Buffer.from(text), part);
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject));
  return path;
}

const rels = (items: [id: string, type: string, target: string][]) =>
  `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${items.map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL}/${type}" Target="${target}"/>`).join('')}</Relationships>`;

/** A workbook whose main part is not at xl/workbook.xml, with two sheets stored in the opposite order of their tabs, and a chart sheet. */
function otherWriterParts(sheet1: string, prefix = ''): Record<string, string> {
  const p = prefix ? `${prefix}:` : '';
  const ns = prefix ? NS.replace('xmlns=', `xmlns:${prefix}=`) : NS;
  return {
    'book/sheets/second.xml': `<${p}worksheet ${ns}><${p}sheetData><${p}row r="1"><${p}c r="A1" t="inlineStr"><${p}is><${p}t>id</${p}t></${p}is></${p}c></${p}row><${p}row r="2"><${p}c r="A2" t="inlineStr"><${p}is><${p}t>s1</${p}t></${p}is></${p}c></${p}row></${p}sheetData></${p}worksheet>`,
    'book/sheets/first.xml': sheet1,
    '_rels/.rels': rels([['rId1', 'officeDocument', 'book/main.xml']]),
    'book/main.xml': `<${p}workbook ${ns}><${p}workbookPr date1904="1"/><${p}sheets><${p}sheet name="Chart" sheetId="3" r:id="rId9"/><${p}sheet name="Data" sheetId="1" r:id="rId1"/><${p}sheet name="Other" sheetId="2" r:id="rId2"/></${p}sheets></${p}workbook>`,
    'book/_rels/main.xml.rels': rels([
      ['rId1', 'worksheet', 'sheets/first.xml'],
      ['rId2', 'worksheet', '/book/sheets/second.xml'],
      ['rId3', 'sharedStrings', 'strings.xml'],
      ['rId4', 'styles', 'styles.xml'],
      ['rId9', 'chartsheet', 'charts/c.xml'],
    ]),
    'book/strings.xml': `<${p}sst ${ns}><${p}si><${p}t>id</${p}t></${p}si><${p}si><${p}r><${p}t>rich </${p}t></${p}r><${p}r><${p}rPr><${p}b/></${p}rPr><${p}t>text</${p}t></${p}r><${p}rPh sb="0" eb="1"><${p}t>ルビ</${p}t></${p}rPh></${p}si><${p}si><${p}t xml:space="preserve">line one_x000D_
line two &amp; more</${p}t></${p}si><${p}si><${p}t/></${p}si><${p}si><${p}t>when</${p}t></${p}si></${p}sst>`,
    // Style 0 General, 1 built-in date (14), 2 custom date-time, 3 custom number with "d" only in quotes, 4 CJK built-in date (31).
    'book/styles.xml': `<${p}styleSheet ${ns}><${p}numFmts count="2"><${p}numFmt numFmtId="164" formatCode="yyyy/mm/dd\\ hh:mm"/><${p}numFmt numFmtId="165" formatCode="0.0&quot; days&quot;"/></${p}numFmts><${p}cellStyleXfs><${p}xf numFmtId="14"/></${p}cellStyleXfs><${p}cellXfs><${p}xf numFmtId="0"/><${p}xf numFmtId="14"/><${p}xf numFmtId="164"/><${p}xf numFmtId="165"/><${p}xf numFmtId="31"/></${p}cellXfs></${p}styleSheet>`,
  };
}

const SHEET = (p = '', ns = NS) => `<${p}worksheet ${ns}><${p}sheetData>
<${p}row r="1"><${p}c r="A1" t="s"><${p}v>0</${p}v></${p}c><${p}c r="B1" t="inlineStr"><${p}is><${p}t>text</${p}t></${p}is></${p}c><${p}c r="C1" t="inlineStr"><${p}is><${p}t>flag</${p}t></${p}is></${p}c><${p}c r="D1" t="s"><${p}v>4</${p}v></${p}c><${p}c r="E1" t="inlineStr"><${p}is><${p}t>n</${p}t></${p}is></${p}c></${p}row>
<${p}row r="3"><${p}c r="A3"><${p}v>7</${p}v></${p}c><${p}c r="B3" t="s"><${p}v>1</${p}v></${p}c><${p}c r="C3" t="b"><${p}v>1</${p}v></${p}c><${p}c r="D3" s="1"><${p}v>0</${p}v></${p}c><${p}c r="E3" s="3"><${p}v>2.5</${p}v></${p}c></${p}row>
<${p}row><${p}c t="str"><${p}f>"r"&amp;"4"</${p}f><${p}v>r4</${p}v></${p}c><${p}c t="s"><${p}v>2</${p}v></${p}c><${p}c t="b"><${p}v>0</${p}v></${p}c><${p}c s="2"><${p}v>1.5</${p}v></${p}c><${p}c><${p}v>-1e3</${p}v></${p}c></${p}row>
<${p}row r="9"><${p}c r="A9" t="inlineStr"><${p}is><${p}r><${p}t>r</${p}t></${p}r><${p}r><${p}t>9</${p}t></${p}r></${p}is></${p}c><${p}c r="B9" t="s"><${p}v>3</${p}v></${p}c><${p}c r="D9" s="4"><${p}v>45352</${p}v></${p}c><${p}c r="H9" s="1"/></${p}row>
</${p}sheetData></${p}worksheet>`;

async function rowsOf(file: string, sheet?: string): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const batch of readRowBatches(file, 'xlsx', undefined, { sheet })) items.push(...batch.items);
  return items;
}

const valuesOf = (items: InputItem[]) => items.flatMap((item) => (item.kind === 'row' ? [{ id: item.id, line: item.line, ...item.values }] : []));

describe('.xlsx as other programs write it', () => {
  test('parts found through relationships, tab order, shared and inline strings, booleans, 1904 dates, custom formats', async () => {
    const file = await writeZip('other-writer.xlsx', otherWriterParts(SHEET()));
    assert.deepEqual(valuesOf(await rowsOf(file)), [
      // 1904 system: serial 0 is 1904-01-01; built-in format 14 is a date; a "days" number format is not.
      { id: '7', line: 3, text: 'rich text', flag: true, when: '1904-01-01', n: 2.5 },
      // `_x000D_` is Excel's escape for a carriage return; a formula's cached string result.
      { id: 'r4', line: 4, text: 'line one\r\nline two & more', flag: false, when: '1904-01-02T12:00:00', n: -1000 },
      // A rich-text inline id, an empty shared string, an empty cell, a CJK built-in date format, an empty styled cell past the header.
      { id: 'r9', line: 9, text: '', flag: '', when: '2028-03-02', n: '' },
    ]);
    assert.deepEqual(valuesOf(await rowsOf(file, 'Other')), [{ id: 's1', line: 2 }]);
  });

  test('element names with a namespace prefix (strict Open XML) read the same', async () => {
    const plain = valuesOf(await rowsOf(await writeZip('plain.xlsx', otherWriterParts(SHEET()))));
    const prefixed = valuesOf(await rowsOf(await writeZip('prefixed.xlsx', otherWriterParts(SHEET('x:', NS.replace('xmlns=', 'xmlns:x=')), 'x'))));
    assert.deepEqual(prefixed, plain);
  });

  test('a chart sheet is not a sheet to read: --sheet lists the worksheets', async () => {
    const file = await writeZip('charts.xlsx', otherWriterParts(SHEET()));
    await assert.rejects(rowsOf(file, 'Chart'), /charts\.xlsx: no sheet named "Chart" \(sheets: Data, Other\)$/);
  });
});

describe('workbooks that cannot be read: one line each', () => {
  const refused = async (file: string, pattern: RegExp, sheet?: string) =>
    assert.rejects(rowsOf(file, sheet), (error: Error) => {
      assert.equal(error.name, 'InputError');
      assert.equal(error.message.split('\n').length, 1, error.message);
      assert.match(error.message, pattern);
      return true;
    });

  test('a cut-off download, a damaged sheet, malformed XML', async () => {
    const good = readFileSync(await writeZip('good.xlsx', otherWriterParts(SHEET())));
    writeFileSync(join(dir, 'cut.xlsx'), good.subarray(0, Math.floor(good.length * 0.6)));
    await refused(join(dir, 'cut.xlsx'), /cut\.xlsx: the workbook is damaged or incomplete: not a readable zip file/);
    const broken = await writeZip('broken.xlsx', otherWriterParts(SHEET().replace('</sheetData>', '</sheetDta>')));
    await refused(broken, /broken\.xlsx: the workbook is damaged \(book\/sheets\/first\.xml is not well-formed XML: /);
    const corrupted = Buffer.from(good);
    // Flip bytes inside the first entry's compressed data (after its 30-byte header and name).
    for (let i = 60; i < 90; i++) corrupted[i] = corrupted[i]! ^ 0xff;
    writeFileSync(join(dir, 'flipped.xlsx'), corrupted);
    await refused(join(dir, 'flipped.xlsx'), /flipped\.xlsx: the workbook is damaged \(book\/sheets\/second\.xml/, 'Other');
  });

  test('zips that are not workbooks: a Word file, a binary .xlsb, any other zip', async () => {
    await refused(
      await writeZip('doc.xlsx', { 'word/document.xml': '<document/>', '_rels/.rels': rels([['rId1', 'officeDocument', 'word/document.xml']]) }),
      /doc\.xlsx: this is a Word or PowerPoint file, not an Excel workbook$/,
    );
    await refused(
      await writeZip('binary.xlsx', { 'xl/workbook.bin': 'x', '_rels/.rels': rels([['rId1', 'officeDocument', 'xl/workbook.bin']]) }),
      /binary\.xlsx: this is a binary workbook \(\.xlsb\): save it as \.xlsx/,
    );
    await refused(await writeZip('photos.xlsx', { 'a.txt': 'hello' }), /photos\.xlsx: a zip file, but not an Excel workbook \(it has no xl\/workbook\.xml\)$/);
  });

  test('a password-protected workbook (an OLE file holding an EncryptedPackage) is not called an old .xls', async () => {
    const ole = Buffer.alloc(4096);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(ole);
    Buffer.from('EncryptionInfo\0', 'utf16le').copy(ole, 1024);
    Buffer.from('EncryptedPackage\0', 'utf16le').copy(ole, 1152);
    writeFileSync(join(dir, 'locked.xlsx'), ole);
    await refused(join(dir, 'locked.xlsx'), /locked\.xlsx: this workbook is password-protected \(encrypted\): remove the password in Excel/);
  });
});
