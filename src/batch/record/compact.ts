/**
 * `difyrun batch --compact`: rewrites the output to one line per id: the last line of each id,
 * where it stands in the file. Two streaming passes keep memory flat; the new file replaces
 * the old one atomically, so a crash mid-compaction leaves the original intact.
 */
import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { IdTable } from '../input/id-table.js';

export interface CompactResult {
  linesBefore: number;
  linesAfter: number;
}

export async function compactLedger(path: string): Promise<CompactResult> {
  const lastLine = new IdTable();
  let linesBefore = 0;
  let bom = false;
  await forEachLine(path, (text, index, hadBom) => {
    bom ||= hadBom;
    linesBefore++;
    const id = idOf(text);
    if (id !== undefined) lastLine.set(id, index);
  });
  const temp = `${path}.compact-${process.pid}`;
  const out = await open(temp, 'w');
  let linesAfter = 0;
  // Keep a --bom file's BOM.
  let buffer = bom ? '\uFEFF' : '';
  try {
    await forEachLine(path, async (text, index) => {
      const id = idOf(text);
      // Lines that are not records are kept: compaction never drops what it does not understand.
      if (id !== undefined && lastLine.get(id) !== index) return;
      buffer += `${text}\n`;
      linesAfter++;
      if (buffer.length > 1 << 20) {
        await out.write(buffer);
        buffer = '';
      }
    });
    await out.write(buffer);
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(temp, path);
  return { linesBefore, linesAfter };
}

function idOf(text: string): string | undefined {
  try {
    const record = JSON.parse(text) as { id?: unknown };
    return typeof record.id === 'string' ? record.id : undefined;
  } catch {
    return undefined;
  }
}

async function forEachLine(path: string, visit: (text: string, index: number, hadBom: boolean) => void | Promise<void>): Promise<void> {
  let index = 0;
  for await (const raw of createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    const hadBom = index === 0 && raw.startsWith('\uFEFF');
    const text = hadBom ? raw.slice(1) : raw;
    if (text.trim() !== '') await visit(text, index, hadBom);
    index++;
  }
}
