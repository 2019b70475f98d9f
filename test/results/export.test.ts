/** difyrun export: one row per id, input order, every column, Excel-safe CSV and styled XLSX. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { exportResults } from '../../src/results/export/export.js';
import { replaceAtomically } from '../../src/batch/record/write-atomically.js';
import { tempDir } from '../helpers/batch-harness.js';
import { resultLine, writeLines } from './helpers.js';

const dir = tempDir('difyrun-export-');

function readCsv(path: string): string[][] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.startsWith('\uFEFF'), 'the CSV starts with a BOM (Excel reads it as UTF-8)');
  assert.ok(text.includes('\r\n'), 'CRLF line ends');
  return Papa.parse<string[]>(text.slice(1), { skipEmptyLines: true }).data;
}

test('CSV: last line per id wins in its first place; inputs and outputs one column each; nested values as JSON', async () => {
  const results = writeLines(join(dir, 'a.jsonl'), [
    resultLine('b', { status: 'failed' }),
    resultLine('a', {
      inputs: { id: 'a', text: '日本語, "quoted"\nsecond line', status: 'in' },
      outputs: { answer: '=HYPERLINK("x")', score: -1, data: { k: [1, 2] } },
    }),
    'not json',
    resultLine('b', { outputs: { answer: 'fixed', flag: true } }),
  ]);
  const out = join(dir, 'a.csv');
  const report = await exportResults({ results, output: out });
  assert.deepEqual({ rows: report.rows, badLines: report.badLines }, { rows: 2, badLines: [3] });
  const [header, ...rows] = readCsv(out);
  assert.deepEqual(header, [
    'id',
    'status',
    'text',
    'input.status',
    'answer',
    'flag',
    'score',
    'data',
    'error',
    'latency_ms',
    'total_tokens',
    'total_price',
    'currency',
    'workflow_run_id',
    'workflow_id',
    'executed_at',
    'attempts',
  ]);
  const b = Object.fromEntries(header!.map((name, i) => [name, rows[0]![i]]));
  const a = Object.fromEntries(header!.map((name, i) => [name, rows[1]![i]]));
  assert.equal(b.id, 'b', 'b first appeared first');
  assert.deepEqual([b.status, b.answer, b.flag, b.error], ['success', 'fixed', 'true', ''], 'the last line of b won');
  assert.equal(a.text, '日本語, "quoted"\nsecond line');
  assert.equal(a['input.status'], 'in', 'an input named like a fixed column is prefixed');
  assert.equal(a.answer, `'=HYPERLINK("x")`, 'a formula is defused');
  assert.equal(a.score, '-1', 'a negative number is not taken for a formula');
  assert.equal(a.data, '{"k":[1,2]}');
  assert.deepEqual([a.latency_ms, a.total_tokens, a.total_price, a.currency, a.workflow_run_id], ['500', '10', '0.001', 'USD', 'run-a']);
});

test('--input: the input order, not-run rows, extra result ids last, and expectations from the input', async () => {
  const results = writeLines(join(dir, 'b.jsonl'), [
    resultLine('r3', { status: 'failed' }),
    resultLine('r1', { inputs: { id: 'r1', text: 'x', 'expect:answer': 'old' }, outputs: { answer: 'yes' } }),
    resultLine('zz'),
  ]);
  const input = join(dir, 'b.csv');
  writeFileSync(input, 'id,text,expect:answer\nr1,x,yes\nr2,y,\nr3,z,anything\n');
  const out = join(dir, 'b.csv.out.csv');
  const report = await exportResults({ results, output: out, input });
  assert.deepEqual([report.notRun, report.notInInput], [1, 1]);
  const [header, ...rows] = readCsv(out);
  const col = (name: string) => header!.indexOf(name);
  assert.deepEqual(
    rows.map((row) => [row[0], row[1]]),
    [
      ['r1', 'success'],
      ['r2', 'not_run'],
      ['r3', 'failed'],
      ['zz', 'success'],
    ],
  );
  assert.deepEqual(
    rows.map((row) => row[col('checks')]),
    ['1/1 passed', '', '0/1 passed', ''],
    "the input's expectation, not the recorded one",
  );
  assert.equal(rows[2]![col('failed_checks')], 'expect:answer: no outputs: the row failed');
  assert.equal(rows[1]![col('text')], 'y', 'a not-run row shows its inputs');
});

test('XLSX: frozen bold header with a filter, typed cells, control characters and over-long text made safe', async () => {
  const results = writeLines(join(dir, 'c.jsonl'), [resultLine('a', { outputs: { answer: `bell\u0007 and ${'x'.repeat(40_000)}`, n: 3 } }), resultLine('b')]);
  const out = join(dir, 'c.xlsx');
  const report = await exportResults({ results, output: out });
  assert.equal(report.cutCells, 1);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(out);
  const sheet = workbook.getWorksheet('results')!;
  assert.equal(sheet.rowCount, 3);
  const view = sheet.views[0] as { state: string; ySplit: number; xSplit: number };
  assert.deepEqual([view.state, view.ySplit, view.xSplit], ['frozen', 1, 1], 'the header row and the id column stay in view');
  assert.equal(sheet.getRow(1).getCell(1).value, 'id');
  assert.equal(sheet.getRow(1).getCell(1).font?.bold, true);
  const headers = (sheet.getRow(1).values as unknown[]).slice(1);
  const cell = (row: number, name: string) => sheet.getRow(row).getCell(headers.indexOf(name) + 1).value;
  const answer = String(cell(2, 'answer'));
  assert.ok(answer.startsWith('bell\uFFFD and x'));
  assert.equal(answer.length, 32_767);
  assert.ok(answer.endsWith('…[cut: longer than Excel allows]'));
  assert.equal(cell(2, 'n'), 3, 'numbers stay numbers');
  assert.equal(cell(3, 'id'), 'b');
});

test('a failed write leaves the earlier file as it was and no temporary file behind', async () => {
  const target = join(dir, 'keep.csv');
  writeFileSync(target, 'old');
  await assert.rejects(
    replaceAtomically(target, async (temp) => {
      writeFileSync(temp, 'half');
      throw new Error('disk full');
    }),
    /disk full/,
  );
  assert.equal(readFileSync(target, 'utf8'), 'old');
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.startsWith('keep.csv.')),
    [],
  );
  assert.equal(existsSync(target), true);
});

test('an empty, missing or record-less results file is one clear error', async () => {
  await assert.rejects(exportResults({ results: join(dir, 'none.jsonl'), output: join(dir, 'x.csv') }), /none\.jsonl: the results file does not exist/);
  await assert.rejects(
    exportResults({ results: writeLines(join(dir, 'junk.jsonl'), ['hello']), output: join(dir, 'x.csv') }),
    /junk\.jsonl:1: no result records/,
  );
});

test('a CSV field is quoted and formula-escaped exactly as Papa.unparse does it', async () => {
  const { csvField } = await import('../../src/results/export/csv.js');
  const FORMULA = /^(?![-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$)[=+\-@\t\r]/i;
  const cells = [
    'plain',
    'a,b',
    'say "hi"',
    'two\nlines',
    'cr\rhere',
    ' lead',
    'trail ',
    '\uFEFFbom',
    '=SUM(A1)',
    '+1 555',
    '-1',
    '-1 ± 0.25',
    '@x',
    '\tx',
    '1e5',
    '日本語',
    '',
  ];
  for (const cell of [...cells, 42, -1.5, 0]) {
    assert.equal(csvField(cell), Papa.unparse([[cell]], { newline: '\r\n', escapeFormulae: FORMULA }), JSON.stringify(cell));
  }
  assert.equal(csvField(null), '');
});
