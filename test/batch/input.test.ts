/** Bad input is refused before anything runs or is written; awkward but valid input is read right. */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { batchInProcess, cli, defaultConfig, readOutput, tempDir } from '../helpers/batch-harness.js';

let server: RunningServer;
let dir: string;
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
  dir = tempDir();
});
after(() => server.close());

async function expectRefused(name: string, content: string | Buffer, pattern: RegExp): Promise<void> {
  const input = join(dir, name);
  const output = join(dir, `${name}.jsonl`);
  writeFileSync(input, content);
  await assert.rejects(batchInProcess(server, defaultConfig(input, output)), (error: Error) => {
    assert.match(error.message, pattern);
    return true;
  });
  assert.equal(existsSync(output), false, `${name}: nothing may be written`);
}

describe('bad input: one clear line per problem, nothing written', () => {
  test('missing id column, id not first, empty file, header only', async () => {
    await expectRefused('noid.csv', 'review,rating\nok,5\n', /noid\.csv:1: the header has no "id" column/);
    await expectRefused('idsecond.csv', 'review,id\nok,1\n', /idsecond\.csv:1: "id" must be the first column \(it is column 2\)/);
    await expectRefused('empty.csv', '', /empty\.csv: the file is empty/);
    await expectRefused('header.csv', 'id,review,rating\n', /header\.csv: the file has a header but no rows/);
    await expectRefused('empty.jsonl', '\n\n', /empty\.jsonl: the file has no rows/);
  });

  test('empty and duplicate ids and ragged rows: every one reported with its line', async () => {
    const csv = 'id,review,rating\na,x,1\n,y,2\na,z,3\nb,"multi\nline",4\nc,too,many,fields\na,again,5\n';
    const input = join(dir, 'many.csv');
    writeFileSync(input, csv);
    const output = join(dir, 'many.jsonl');
    await assert.rejects(batchInProcess(server, defaultConfig(input, output)), (error: Error) => {
      const lines = error.message.split('\n');
      assert.deepEqual(lines.slice(0, 4), [
        `${input}:3: empty id`,
        `${input}:4: duplicate id "a" (first on line 2)`,
        `${input}:7: has 4 fields but the header has 3 (check quotes and commas)`,
        `${input}:8: duplicate id "a" (first on line 2)`,
      ]);
      assert.match(lines.at(-1)!, /4 problems in .*nothing was run or written/);
      return true;
    });
    assert.equal(existsSync(output), false);
    assert.equal(server.executedRuns, 0);
  });

  test('invalid UTF-8 names the line and column; unterminated quote; bad JSONL line', async () => {
    await expectRefused(
      'sjis.csv',
      Buffer.concat([Buffer.from('id,review,rating\nr1,ok,5\nr2,'), Buffer.from([0x82, 0xa0]), Buffer.from(',5\n')]),
      /sjis\.csv:3: invalid UTF-8 at column 4/,
    );
    await expectRefused('quote.csv', 'id,review,rating\nr1,"never closed,5\n', /quote\.csv:2: not valid CSV/);
    await expectRefused('bad.jsonl', '{"id":"a","inputs":{"review":"x","rating":1}}\n{"id":"b",\n', /bad\.jsonl:2: not valid JSON/);
  });

  test('unreadable input and unwritable output', async () => {
    await assert.rejects(
      batchInProcess(server, defaultConfig(join(dir, 'nope.csv'), join(dir, 'o.jsonl'))),
      /nope\.csv: cannot read the input file \(ENOENT\)/,
    );
    const input = join(dir, 'fine.csv');
    writeFileSync(input, 'id,review,rating\nr1,ok,5\n');
    await assert.rejects(batchInProcess(server, defaultConfig(input, join(dir, 'missing-dir', 'o.jsonl'))), /--output .*cannot create the file/);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.jsonl');
      writeFileSync(locked, '');
      chmodSync(locked, 0o444);
      await assert.rejects(batchInProcess(server, defaultConfig(input, locked)), /--output .*cannot write to the file \(EACCES\)/);
    }
  });

  test('the CLI exits 2 with the message on one line', async () => {
    const input = join(dir, 'noid-cli.csv');
    writeFileSync(input, 'review\nx\n');
    const { code, stderr } = await cli(['batch', '-i', input, '-o', join(dir, 'cli.jsonl')], {
      env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL },
    }).done;
    assert.equal(code, 2);
    assert.equal(stderr.trim(), `difyrun batch: ${input}:1: the header has no "id" column (found: review)`);
  });
});

describe('awkward valid input', () => {
  test('BOM, CRLF, quotes, embedded newlines, CJK and emoji arrive intact', async () => {
    const input = join(dir, 'excel.csv');
    writeFileSync(
      input,
      '\uFEFFid,review,rating,channel\r\nr1,"She said ""wow"", twice",5,web\r\nr2,"line one\r\nline two 😀",4,app\r\nr3,日本語のレビュー,3,email\r\n',
    );
    const output = join(dir, 'excel.jsonl');
    const result = await batchInProcess(server, defaultConfig(input, output));
    assert.equal(result.exitCode, 0);
    const rows = new Map(readOutput(output).map((row) => [row.id, row]));
    assert.deepEqual((rows.get('r1')!.inputs as Record<string, string>).review, 'She said "wow", twice');
    assert.deepEqual((rows.get('r2')!.inputs as Record<string, string>).review, 'line one\r\nline two 😀');
    assert.match(JSON.stringify(rows.get('r3')!.outputs), /日本語のレビュー/);
    assert.ok([...rows.values()].every((row) => row.status === 'success'));
  });

  test('JSONL with typed values, nested inputs or flat objects, numeric ids', async () => {
    const input = join(dir, 'typed.jsonl');
    writeFileSync(
      input,
      '{"id": 1, "inputs": {"review": "nested form", "rating": 4}}\n\n{"id": "two", "review": "flat form", "rating": 2, "channel": "app"}\n',
    );
    const output = join(dir, 'typed.jsonl.out');
    const result = await batchInProcess(server, defaultConfig(input, output));
    assert.equal(result.exitCode, 0);
    assert.deepEqual(
      readOutput(output)
        .map((row) => [row.id, row.status])
        .sort(),
      [
        ['1', 'success'],
        ['two', 'success'],
      ],
    );
  });
});
