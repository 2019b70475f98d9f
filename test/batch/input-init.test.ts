/** `difyrun init` writes its template in the format the output's name asks for, and batch reads it back. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { inputVariables } from '../../src/protocol/index.js';
import { DifyClient } from '../../src/client/client.js';
import { writeTemplate } from '../../src/cli/commands/init-template.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { batchInProcess, cli, defaultConfig, tempDir } from '../helpers/batch-harness.js';

let server: RunningServer;
const dir = tempDir();
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
});
after(() => server.close());

test('init -o template.xlsx: a workbook with typed example cells and a drop-down for the select input; batch accepts it', async () => {
  const template = join(dir, 'template.xlsx');
  const init = await cli(['init', '--local', 'examples/workflows/review-triage.yml', '-o', template]).done;
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stderr, /wrote .*template\.xlsx: id \+ 3 input columns/);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(template);
  const sheet = book.worksheets[0]!;
  assert.deepEqual((sheet.getRow(1).values as unknown[]).slice(1), ['id', 'review', 'rating', 'channel']);
  assert.equal(sheet.getCell('A2').value, 'row1');
  assert.equal(sheet.getCell('C2').value, 42, 'a number input gets a number cell');
  assert.equal(sheet.getCell('D2').value, 'web');
  assert.deepEqual(sheet.getCell('D5').dataValidation.formulae, ['"web,app,email"']);
  const dry = await batchInProcess(server, defaultConfig(template, join(dir, 'out.jsonl'), { dryRun: true }));
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.match(dry.stdout, /1 valid, 0 invalid/);
  assert.match(dry.stdout, /"rating": 42/);
});

test('a .tsv template is tab-separated; --jsonl with a .csv name is refused before anything is written', async () => {
  const client = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL });
  const tsv = join(dir, 'template.tsv');
  await writeTemplate(tsv, 'tsv', inputVariables(await client.app.parameters()));
  assert.equal(readFileSync(tsv, 'utf8').split('\n')[0], 'id\treview\trating\tchannel');
  const dry = await batchInProcess(server, defaultConfig(tsv, join(dir, 'tsv.jsonl'), { dryRun: true }));
  assert.match(dry.stdout, /1 valid, 0 invalid/);
  const wrong = await cli(['init', '--local', 'examples/workflows/review-triage.yml', '--jsonl', '-o', join(dir, 'wrong.csv')]).done;
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--jsonl writes JSONL, but --output .*wrong\.csv names a CSV file/);
  assert.equal(existsSync(join(dir, 'wrong.csv')), false);
});
