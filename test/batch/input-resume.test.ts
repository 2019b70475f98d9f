/**
 * A resumed run starts reading where its first pass found the first row to run: by byte offset
 * in UTF-8, by decoded character in a transcoded file, by sheet row in a workbook. Each must
 * give the same rows, with the same line numbers, as reading from the top.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { readRowBatches, type InputOptions, type RowBatch } from '../../src/batch/input/read-rows.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { batchInProcess, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';

const dir = tempDir();
const ROWS = 2100;
const channels = ['web', 'app', 'email'];
const review = (i: number, emoji = true) => `レビュー ${i}: とても良い、"本当に"。${'良い商品でした。'.repeat(4)}${emoji ? ' 😀' : ''}`;

function csvText(delimiter: string, emoji = true): string {
  const lines = [['id', 'review', 'rating', 'channel'].join(delimiter)];
  for (let i = 0; i < ROWS; i++) lines.push([`r${i}`, `"${review(i, emoji).replaceAll('"', '""')}"`, String((i % 5) + 1), channels[i % 3]].join(delimiter));
  return `${lines.join('\r\n')}\r\n`;
}

async function workbook(path: string): Promise<void> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Rows');
  sheet.addRow(['id', 'review', 'rating', 'channel']);
  for (let i = 0; i < ROWS; i++) sheet.addRow([`r${i}`, i % 7 === 0 ? '' : review(i), (i % 5) + 1, channels[i % 3]]);
  await book.xlsx.writeFile(path);
}

/** name → [file content or writer, options] */
const CASES: [string, (path: string) => Promise<void> | void, InputOptions][] = [
  ['utf16le.txt', (path) => writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csvText('\t'), 'utf16le')])), {}],
  ['shift_jis.csv', (path) => writeFileSync(path, iconv.encode(csvText(';', false), 'shift_jis')), { encoding: 'shift_jis' }],
  ['rows.xlsx', workbook, {}],
];

describe('a later pass starts at a batch and reads what the first pass read from there', () => {
  for (const [name, write, options] of CASES) {
    test(name, async () => {
      const file = join(dir, name);
      await write(file);
      const batches: RowBatch[] = [];
      for await (const batch of readRowBatches(file, undefined, undefined, options)) batches.push(batch);
      assert.ok(batches.length > 3, `${name}: several batches (${batches.length})`);
      const rows = batches.flatMap((batch) => batch.items).filter((item) => item.kind === 'row');
      assert.equal(rows.length, ROWS);
      assert.equal(rows[1]!.line, 3);
      const middle = batches[Math.floor(batches.length / 2)]!;
      const expected = batches.slice(batches.indexOf(middle)).flatMap((batch) => batch.items);
      const again = [];
      for await (const batch of readRowBatches(file, undefined, middle.start)) again.push(...batch.items);
      assert.deepEqual(
        again.map((item) => item.kind === 'row' && [item.id, item.line, item.values]),
        expected.map((item) => item.kind === 'row' && [item.id, item.line, item.values]),
      );
    });
  }
});

describe('a batch resumed from its output runs only the rows not done, in every format', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
  });
  after(() => server.close());

  for (const [name, write, options] of CASES) {
    test(name, async () => {
      const input = join(dir, `resume-${name}`);
      await write(input);
      const output = join(dir, `resume-${name}.jsonl`);
      const done = ROWS - 40;
      const succeeded = Array.from(
        { length: done },
        (_, i) =>
          `{"id":"r${i}","status":"success","inputs":{"id":"r${i}"},"outputs":{},"workflow_run_id":"00000000-0000-4000-8000-000000000000","executed_at":"2026-11-21T00:00:00.000Z","retry_count":0}\n`,
      );
      writeFileSync(output, succeeded.join(''));
      const before = server.executedRuns;
      const result = await batchInProcess(server, defaultConfig(input, output, { inputOptions: options }));
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(server.executedRuns - before, 40);
      const fresh = readOutput(output).slice(done);
      assert.deepEqual(fresh.map((row) => row.id).sort(), Array.from({ length: 40 }, (_, i) => `r${done + i}`).sort());
      const last = fresh.find((row) => row.id === `r${ROWS - 1}`)!;
      assert.equal((last.inputs as { review: string }).review, review(ROWS - 1, !name.startsWith('shift')));
    });
  }
});
