/** The CSV reader on its own: line numbers, line endings and records larger than a read chunk. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRowBatches, type InputItem } from '../../src/batch/input/read-rows.js';
import { tempDir } from '../helpers/batch-harness.js';

const dir = tempDir();

async function read(name: string, content: string): Promise<InputItem[]> {
  const file = join(dir, name);
  writeFileSync(file, content);
  const items: InputItem[] = [];
  for await (const batch of readRowBatches(file)) items.push(...batch.items);
  return items;
}

test('line numbers count the newlines inside quoted cells; text after a closing quote ends the file with its line', async () => {
  const items = await read('lines.csv', 'id,text\na,"one\ntwo\nthree"\nb,plain\n');
  assert.deepEqual(
    items.map((item) => [item.kind, item.line]),
    [
      ['row', 2],
      ['row', 5],
    ],
  );
  await assert.rejects(read('quote.csv', 'id,text\na,"one\ntwo"\nb,"bad"quote\nc,"x"\n'), /quote\.csv:4: not valid CSV: text after the closing quote/);
});

test('CR-only (old Mac) and CRLF line endings', async () => {
  const cr = await read('cr.csv', 'id,text\ra,x\rb,y\r');
  assert.deepEqual(
    cr.map((item) => item.kind === 'row' && [item.id, item.values.text]),
    [
      ['a', 'x'],
      ['b', 'y'],
    ],
  );
  const crlf = await read('crlf.csv', 'id,text\r\na,"x\r\ny"\r\nb,z');
  assert.deepEqual(
    crlf.map((item) => item.kind === 'row' && [item.id, item.values.text, item.line]),
    [
      ['a', 'x\r\ny', 2],
      ['b', 'z', 4],
    ],
  );
});

test('a 3 MB cell and a 200 KB header span many read chunks and arrive whole', async () => {
  const cell = `${'長い文章 "quoted", with commas\n'.repeat(100_000)}end`;
  const longName = `v${'x'.repeat(200_000)}`;
  const items = await read('huge.csv', `id,${longName}\r\nbig,"${cell.replaceAll('"', '""')}"\r\nsmall,ok\r\n`);
  assert.equal(items.length, 2);
  const [big, small] = items as [Extract<InputItem, { kind: 'row' }>, Extract<InputItem, { kind: 'row' }>];
  assert.equal(big.values[longName], cell);
  assert.equal(small.line, 100_003);
  assert.equal(small.values[longName], 'ok');
});

test('an unclosed quote names the line it opens on', async () => {
  await assert.rejects(read('unclosed.csv', 'id,text\na,x\nb,"never\nclosed\n'), /unclosed\.csv:3: not valid CSV: a quoted field is never closed/);
});

test('a later pass can start at any batch and reads the same rows with the same line numbers', async () => {
  const csvRows = Array.from({ length: 30_000 }, (_, i) => `r${i},"日本語 ""${i}""\r\n😀 line two"`);
  const jsonlRows = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `日本語 ${i} 😀` }));
  for (const [name, content] of [
    ['resume.csv', `\uFEFFid,text\r\n${csvRows.join('\r\n')}\r\n`],
    ['resume.jsonl', `\uFEFF${jsonlRows.join('\n')}\n`],
  ] as const) {
    const file = join(dir, name);
    writeFileSync(file, content);
    const batches = [];
    for await (const batch of readRowBatches(file)) batches.push(batch);
    assert.ok(batches.length > 3, `${name}: several batches`);
    const middle = batches[Math.floor(batches.length / 2)]!;
    const expected = batches.slice(batches.indexOf(middle)).flatMap((batch) => batch.items);
    const again = [];
    for await (const batch of readRowBatches(file, undefined, middle.start)) again.push(...batch.items);
    assert.deepEqual(again, expected, name);
    const last = expected.at(-1)!;
    assert.equal(last.kind === 'row' && last.id, 'r29999');
  }
});
