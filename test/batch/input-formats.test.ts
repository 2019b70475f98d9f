/** Input from the spreadsheet world: delimiters, encodings, .xlsx, Excel's headers, the seed's CSV format. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { startServer, type RunningServer } from '../../src/server/index.js';
import type { BatchConfig } from '../../src/batch/index.js';
import { batchInProcess, cli, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';

let server: RunningServer;
let dir: string;
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
  dir = tempDir();
});
after(() => server.close());

const REVIEWS = 'id,review,rating,channel\nr1,"Great, really",5,web\nr2,日本語のレビューです。とても良い商品でした,4,app\nr3,Très bon café,3,email\n';

async function run(name: string, content: string | Buffer, overrides: Partial<BatchConfig> = {}) {
  const input = join(dir, name);
  writeFileSync(input, content);
  const output = join(dir, `${name}.out.jsonl`);
  const result = await batchInProcess(server, defaultConfig(input, output, { quiet: false, ...overrides }));
  return { ...result, input, rows: new Map(readOutput(output).map((row) => [row.id as string, row])) };
}

async function refused(name: string, content: string | Buffer, overrides: Partial<BatchConfig>, pattern: RegExp): Promise<string> {
  const input = join(dir, name);
  writeFileSync(input, content);
  const output = join(dir, `${name}.out.jsonl`);
  let message = '';
  await assert.rejects(batchInProcess(server, defaultConfig(input, output, overrides)), (error: Error) => {
    message = error.message;
    assert.match(message, pattern);
    return true;
  });
  assert.equal(existsSync(output), false, `${name}: nothing may be written`);
  return message;
}

function summaries(rows: Map<string, Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries([...rows].map(([id, row]) => [id, (row.outputs as { summary: string }).summary]));
}

function assertReviewsArrived(result: Awaited<ReturnType<typeof run>>): void {
  assert.equal(result.exitCode, 0, result.stderr);
  const text = summaries(result.rows);
  assert.deepEqual(Object.keys(text).sort(), ['r1', 'r2', 'r3']);
  assert.match(text.r1!, /Great, really/);
  assert.match(text.r2!, /日本語のレビューです/);
  assert.match(text.r3!, /Très bon café/);
}

describe('delimiters', () => {
  test('semicolons (Excel in much of Europe), tabs in a .tsv, pipes: detected', async () => {
    assertReviewsArrived(
      await run(
        'semi.csv',
        'id;review;rating;channel\r\nr1;Great, really;5;web\r\nr2;日本語のレビューです。とても良い商品でした;4;app\r\nr3;"Très bon café";3;email\r\n',
      ),
    );
    assertReviewsArrived(
      await run(
        'tabs.tsv',
        REVIEWS.replace(/"Great, really"/, 'Great, really')
          .replaceAll(',', '\t')
          .replace('Great\t really', 'Great, really'),
      ),
    );
    assertReviewsArrived(
      await run(
        'pipes.csv',
        'id|review|rating|channel\nr1|Great, really|5|web\nr2|日本語のレビューです。とても良い商品でした|4|app\nr3|Très bon café|3|email\n',
      ),
    );
  });

  test('--delimiter overrides detection; a wrong one is named in the error', async () => {
    // Every row has as many commas as semicolons: only the flag says which one separates.
    const content = 'id;review;rating;channel\nr1;a,b,c;5;web\n';
    const result = await run('forced.csv', content, { inputOptions: { delimiter: 'semicolon' } });
    assert.equal(result.exitCode, 0, result.stderr);
    await refused(
      'wrong.csv',
      content,
      { inputOptions: { delimiter: ',' } },
      /wrong\.csv:1: the header has no "id" column \(found: id;review;rating;channel\) — the file seems to use semicolons, not commas: try --delimiter ";"/,
    );
    await refused('bad-flag.csv', content, { inputOptions: { delimiter: 'ab' } }, /bad-flag\.csv: --delimiter must be one character/);
  });

  test('a ragged row names the delimiter in use', async () => {
    await refused(
      'ragged.csv',
      'id;review;rating\nr1;ok;5\nr2;x;4;extra\n',
      {},
      /ragged\.csv:3: has 4 fields but the header has 3 \(check quotes and semicolons\)/,
    );
  });
});

describe('encodings', () => {
  test('UTF-16LE and UTF-16BE with a byte-order mark (Excel\'s "Unicode text", tab-separated)', async () => {
    const text = REVIEWS.replace('"Great, really"', 'Great, really').replace(/,(?! really)/g, '\t');
    assertReviewsArrived(await run('unicode-le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])));
    const be = Buffer.from(text, 'utf16le').swap16();
    assertReviewsArrived(await run('unicode-be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be])));
  });

  test('Shift_JIS, CP932, GBK, Big5, EUC-KR and Windows-1252 with --encoding', async () => {
    const sjis = iconv.encode(REVIEWS.replace('Très bon café', 'Tres bon cafe'), 'shift_jis');
    assertReviewsArrived2(await run('sjis.csv', sjis, { inputOptions: { encoding: 'shift_jis' } }), /日本語のレビューです/);
    assertReviewsArrived2(await run('cp932.csv', sjis, { inputOptions: { encoding: 'CP932' } }), /日本語のレビューです/);
    for (const [encoding, sentence] of [
      ['gbk', '这个产品非常好'],
      ['big5', '這個產品非常好'],
      ['euc-kr', '이 제품은 정말 좋습니다'],
      ['windows-1252', 'Très bon café; déjà vu'],
    ] as const) {
      const bytes = iconv.encode(`id,review,rating\nr1,${sentence},5\n`, encoding);
      const result = await run(`${encoding}.csv`, bytes, { inputOptions: { encoding } });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.ok(summaries(result.rows).r1!.includes(sentence), encoding);
    }
  });

  test('bytes that are not UTF-8: the line, the column and the encoding they look like', async () => {
    const sjis = iconv.encode(REVIEWS.replace('Très bon café', 'Tres bon cafe'), 'shift_jis');
    await refused('sjis-noflag.csv', sjis, {}, /sjis-noflag\.csv:3: invalid UTF-8 at column 4 \(looks like Shift_JIS: try --encoding shift_jis\)/);
    const latin = iconv.encode('id,review,rating\nr1,Très bon café, déjà vu à Noël,5\n', 'windows-1252');
    await refused(
      'latin.csv',
      latin,
      {},
      /latin\.csv:2: invalid UTF-8 at column 6 \(looks like Windows-1252 \(Western European\): try --encoding windows-1252\)/,
    );
    const gbk = iconv.encode('id,review,rating\nr1,这个产品非常好，我很喜欢。质量不错,5\n', 'gbk');
    await refused('gbk-noflag.csv', gbk, {}, /gbk-noflag\.csv:2: invalid UTF-8 at column 4 \(looks like GB18030.*try --encoding gb18030\)/);
  });

  test('bytes not valid in the --encoding given: line, column, encoding tried, the likely one', async () => {
    const utf8 = Buffer.from('id,review,rating\nr1,ok,5\nr2,日本語のレビューです。とても良い商品でした,4\n');
    await refused(
      'utf8-as-sjis.csv',
      utf8,
      { inputOptions: { encoding: 'shift_jis' } },
      /utf8-as-sjis\.csv:3: not valid shift_jis at column \d+ \(looks like UTF-8: leave out --encoding\)/,
    );
    await refused('unknown-enc.csv', utf8, { inputOptions: { encoding: 'klingon' } }, /unknown-enc\.csv: --encoding: unknown encoding "klingon"/);
  });

  test('UTF-16 without a byte-order mark, a BOM that contradicts --encoding, a workbook named .csv', async () => {
    await refused(
      'nobom.csv',
      Buffer.from(REVIEWS, 'utf16le'),
      {},
      /nobom\.csv:1: a NUL byte: this looks like UTF-16LE text without a byte-order mark: try --encoding utf-16le/,
    );
    assertReviewsArrived(await run('nobom-flag.csv', Buffer.from(REVIEWS, 'utf16le'), { inputOptions: { encoding: 'utf-16le' } }));
    await refused(
      'bom-vs-flag.csv',
      Buffer.from(`\uFEFF${REVIEWS}`),
      { inputOptions: { encoding: 'shift_jis' } },
      /starts with a UTF-8 byte-order mark but --encoding is shift_jis/,
    );
    const book = join(dir, 'real.xlsx');
    await reviewsWorkbook(book);
    await refused('book.csv', readFileSync(book), {}, /book\.csv: this is a zip file, not text: an Excel workbook\? Name it \.xlsx/);
  });
});

function assertReviewsArrived2(result: Awaited<ReturnType<typeof run>>, pattern: RegExp): void {
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(summaries(result.rows).r2!, pattern);
}

/** A workbook the way Excel users leave them: header in any case with spaces, typed cells, formatted empty columns and rows. */
async function reviewsWorkbook(path: string, extra?: (book: ExcelJS.Workbook) => void): Promise<void> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Reviews');
  sheet.addRow(['ID', ' review ', 'rating', 'channel']);
  sheet.addRow(['r1', 'Great, really', 5, 'web']);
  sheet.addRow([2, new Date(Date.UTC(2024, 2, 1)), 4, 'app']);
  sheet.addRow(['r3', { formula: 'B2&"!"', result: 'Great, really!' }, { formula: '1+2', result: 3 }, 'email']);
  sheet.addRow([]);
  sheet.addRow(['r5', 12345, 2, { richText: [{ text: 'w' }, { text: 'eb', font: { bold: true } }] }]);
  sheet.addRow(['r6', new Date(Date.UTC(2024, 2, 1, 9, 30)), 1, null]);
  // Excel's leftovers: a formatted but empty column F and rows far below.
  sheet.getCell('F1').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } };
  sheet.getCell('F3').border = { top: { style: 'thin' } };
  sheet.getCell('A40').fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } };
  extra?.(book);
  await book.xlsx.writeFile(path);
}

describe('.xlsx workbooks', () => {
  test('first sheet: numbers stay numbers, dates become ISO strings, formulas give their result, leftovers ignored', async () => {
    const input = join(dir, 'reviews.xlsx');
    await reviewsWorkbook(input);
    const output = join(dir, 'reviews.xlsx.out.jsonl');
    const result = await batchInProcess(server, defaultConfig(input, output, { quiet: false }));
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, /warning: .*reviews\.xlsx:1: spaces around header name " review " removed/);
    const rows = new Map(readOutput(output).map((row) => [row.id as string, row]));
    assert.deepEqual([...rows.keys()].sort(), ['2', 'r1', 'r3', 'r5', 'r6']);
    assert.deepEqual(rows.get('r1')!.inputs, { id: 'r1', review: 'Great, really', rating: 5, channel: 'web' });
    assert.deepEqual(rows.get('2')!.inputs, { id: '2', review: '2024-03-01', rating: 4, channel: 'app' });
    assert.deepEqual(rows.get('r3')!.inputs, { id: 'r3', review: 'Great, really!', rating: 3, channel: 'email' });
    assert.deepEqual(rows.get('r6')!.inputs, { id: 'r6', review: '2024-03-01T09:30:00', rating: 1, channel: '' });
    const text = summaries(rows);
    assert.match(text.r5!, /WEB review \(2★.*: 12345/, 'a number in a text column is sent as its text');
    assert.ok([...rows.values()].every((row) => row.status === 'success'));
  });

  test('--sheet picks a sheet by name; an unknown one lists the sheets', async () => {
    const input = join(dir, 'two-sheets.xlsx');
    await reviewsWorkbook(input, (book) => {
      const other = book.addWorksheet('Second batch');
      other.addRow(['id', 'review', 'rating']);
      other.addRow(['s1', 'From the second sheet', 5]);
    });
    const output = join(dir, 'two-sheets.out.jsonl');
    const result = await batchInProcess(server, defaultConfig(input, output, { inputOptions: { sheet: 'Second batch' } }));
    assert.equal(result.exitCode, 0);
    assert.deepEqual(
      readOutput(output).map((row) => row.id),
      ['s1'],
    );
    await assert.rejects(
      batchInProcess(server, defaultConfig(input, join(dir, 'x.jsonl'), { inputOptions: { sheet: 'Nope' } })),
      /two-sheets\.xlsx: no sheet named "Nope" \(sheets: Reviews, Second batch\)/,
    );
    await assert.rejects(
      batchInProcess(server, defaultConfig(input, join(dir, 'x.jsonl'), { inputOptions: { encoding: 'cp932' } })),
      /--encoding does not apply to an \.xlsx workbook/,
    );
  });

  test('a file named .xlsx that is not a workbook: CSV text, an old .xls', async () => {
    await refused('text.xlsx', REVIEWS, {}, /text\.xlsx: not an \.xlsx workbook \(those are zip files\): if it is CSV text, name it \.csv/);
    await refused(
      'old.xlsx',
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      {},
      /old\.xlsx: this is an old Excel \.xls workbook: save it as \.xlsx or as CSV UTF-8/,
    );
  });

  test('bad cells are refused with their row and column letter; nothing written', async () => {
    const input = join(dir, 'bad.xlsx');
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Data');
    sheet.addRow(['id', 'review', 'rating', null, 'channel']);
    sheet.addRow(['r1', 'ok', 5, null, 'web']);
    sheet.addRow(['r2', { error: '#N/A' }, 4, null, 'app']);
    sheet.addRow(['r3', 'fine', 3, 'stray', 'web']);
    await book.xlsx.writeFile(input);
    const output = join(dir, 'bad.out.jsonl');
    await assert.rejects(batchInProcess(server, defaultConfig(input, output)), (error: Error) => {
      assert.equal(error.message.split('\n')[0], `${input}:1: column D has an empty header name (name it, or delete the column)`);
      return true;
    });
    sheet.getCell('D1').value = 'note';
    sheet.getCell('F4').value = 'beyond the header';
    await book.xlsx.writeFile(input);
    await assert.rejects(batchInProcess(server, defaultConfig(input, output)), (error: Error) => {
      assert.deepEqual(error.message.split('\n').slice(0, 2), [
        `${input}:3: column B holds the Excel error #N/A`,
        `${input}:4: column F has no header name but this row has a value there ("beyond the header"): name the column or clear it`,
      ]);
      return true;
    });
    assert.equal(existsSync(output), false);
  });
});

describe('headers from Excel', () => {
  test('"ID" in any case, spaces around names (a warning), trailing empty columns (ignored while empty)', async () => {
    const result = await run(
      'excel-header.csv',
      'ID , review ,rating,channel,,\r\nr1,"Great, really",5,web,,\r\nr2,日本語のレビューです,4,app,,\r\nr3,Très bon café,3,email,,\r\n,,,,,\r\n,,,,,\r\n',
    );
    assertReviewsArrived(result);
    assert.match(result.stderr, /excel-header\.csv:1: spaces around header names "ID ", " review " removed/);
    assert.deepEqual(result.rows.get('r1')!.inputs, { id: 'r1', review: 'Great, really', rating: '5', channel: 'web' });
  });

  test('an empty cell in an optional select column means no value, not an option "" that matches nothing', async () => {
    const result = await run('empty-select.csv', 'id,review,rating,channel\nr1,ok,5,\n');
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.rows.get('r1')!.status, 'success');
  });

  test('a value under an empty header cell, an empty name between named ones, a second id column', async () => {
    await refused(
      'stray.csv',
      'id,review,rating,,\nr1,ok,5,,\nr2,ok,4,,oops\n',
      {},
      /stray\.csv:3: column 5 has no header name but this row has a value there \("oops"\)/,
    );
    await refused('gap.csv', 'id,review,,rating\nr1,ok,,5\n', {}, /gap\.csv:1: column 3 has an empty header name/);
    await refused('twoids.csv', 'id,review,Id\nr1,ok,x\n', {}, /twoids\.csv:1: column 3 "Id" repeats the id column/);
  });
});

describe("the seed's CSV format: every header name, id included, is an input name", () => {
  // ../shared beside the repository (as in CI); SHARED_DIR points elsewhere (a worktree).
  const seedReadme = join(process.env.SHARED_DIR ?? join('..', 'shared'), 'seeds', '001_aaf50e6dac49742c.txt');
  test(
    'the seed README example runs unchanged with `difyrun batch --local` against a workflow declaring id',
    { skip: !existsSync(seedReadme) && 'no ../shared/seeds' },
    async () => {
      const example = /### Example\s+```csv\n([\s\S]*?)```/.exec(readFileSync(seedReadme, 'utf8'))?.[1];
      assert.ok(example, 'the seed README has its CSV example');
      const input = join(dir, 'data.csv');
      writeFileSync(input, example);
      const output = join(dir, 'seed.jsonl');
      const { code, stderr } = await cli(['batch', '--local', 'test/fixtures/workflows/seed-id-echo.yml', '-i', input, '-o', output, '--quiet']).done;
      assert.equal(code, 0, stderr);
      // Lines are in completion order: compared by id.
      const rows = readOutput(output).sort((a, b) => String(a.id).localeCompare(String(b.id)));
      assert.deepEqual(
        rows.map((row) => [row.id, row.status, (row.outputs as { result: string }).result]),
        [
          ['req001', 'success', 'req001: Alice asked (English): What is AI?'],
          ['req002', 'success', 'req002: Bob asked (Japanese): AIとは何ですか'],
          ['req003', 'success', 'req003: Charlie asked (English): Explain machine learning'],
        ],
      );
      assert.deepEqual(rows[0]!.inputs, { id: 'req001', user_name: 'Alice', query: 'What is AI?', language: 'English' });
    },
  );

  test('id is sent when declared, and neither sent nor warned about when not', async () => {
    const declared = await startServer({ workflow: 'test/fixtures/workflows/seed-id-echo.yml', port: 0 });
    try {
      const input = join(dir, 'seed-inline.csv');
      writeFileSync(input, 'Id,user_name,query,language\nreq9,Dana,Why?,English\n');
      const output = join(dir, 'seed-inline.jsonl');
      const result = await batchInProcess(declared, defaultConfig(input, output, { quiet: false }));
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal((readOutput(output)[0]!.outputs as { result: string }).result, 'req9: Dana asked (English): Why?');
    } finally {
      await declared.close();
    }
    const plain = await run('no-id-input.csv', REVIEWS);
    assert.doesNotMatch(plain.stderr, /not declared/);
  });
});
