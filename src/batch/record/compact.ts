/**
 * `difyrun batch --compact`: rewrites the output to one line per id: the last line of each id,
 * where it stands in the file. Two streaming passes keep memory flat; the new file replaces
 * the old one atomically, so a crash mid-compaction leaves the original intact.
 */
import { open, rename } from 'node:fs/promises';
import { IdTable } from '../input/id-table.js';
import { compactInInputOrder } from './compact-in-input-order.js';
import { idOfLine } from './ledger.js';
import { forEachLine } from './line-reader.js';

export interface CompactResult {
  linesBefore: number;
  linesAfter: number;
}

/** Undefined when the file does not exist. With `inputOrder` (the input file), lines follow the input's order. */
export async function compactLedger(path: string, options: { inputOrder?: string | undefined } = {}): Promise<CompactResult | undefined> {
  if (options.inputOrder !== undefined) return compactInInputOrder(path, options.inputOrder);
  const lastLine = new IdTable();
  let linesBefore = 0;
  const read = await forEachLine(path, ({ buffer, start, end, line }) => {
    linesBefore++;
    const id = idOfLine(buffer, start, end);
    if (id !== undefined) lastLine.set(id, line);
  });
  if (read === undefined) return undefined;
  const temp = `${path}.compact-${process.pid}`;
  const out = await open(temp, 'w');
  let linesAfter = 0;
  // Keep a --bom file's BOM.
  const pending: Buffer[] = read.bom ? [Buffer.from('\uFEFF')] : [];
  let pendingBytes = 0;
  try {
    await forEachLine(path, async ({ buffer, start, end, line }) => {
      const id = idOfLine(buffer, start, end);
      // Lines that are not records are kept: compaction never drops what it does not understand.
      if (id !== undefined && lastLine.get(id) !== line) return;
      pending.push(Buffer.from(buffer.subarray(start, end)), NEWLINE);
      pendingBytes += end - start + 1;
      linesAfter++;
      if (pendingBytes > 1 << 20) {
        await out.writev(pending.splice(0));
        pendingBytes = 0;
      }
    });
    await out.writev(pending);
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(temp, path);
  return { linesBefore, linesAfter };
}

const NEWLINE = Buffer.from('\n');
