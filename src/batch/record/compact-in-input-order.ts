/**
 * `difyrun batch --compact -i DATA`: one line per id (the last of each id) in the input's order;
 * ids that are not in the input and lines that are not records follow in file order. Memory:
 * the id table plus two numbers per id (where its last line is); lines are read back by position.
 * The new file replaces the old one atomically.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { IdTable } from '../input/id-table.js';
import { readRowBatches } from '../input/read-rows.js';
import type { CompactResult } from './compact.js';
import { idOfLine } from './ledger.js';
import { forEachLine } from './line-reader.js';
import { replaceAtomically } from './write-atomically.js';

/** Undefined when the output does not exist. */
export async function compactInInputOrder(path: string, input: string): Promise<CompactResult | undefined> {
  const slots = new IdTable();
  const offsets: number[] = [];
  const lengths: number[] = [];
  let linesBefore = 0;
  const read = await forEachLine(path, ({ buffer, start, end, offset }) => {
    linesBefore++;
    const id = idOfLine(buffer, start, end);
    if (id === undefined) return;
    const slot = slots.setIfAbsent(id, offsets.length) ?? offsets.length;
    offsets[slot] = offset;
    lengths[slot] = end - start;
  });
  if (read === undefined) return undefined;

  let linesAfter = 0;
  await replaceAtomically(path, async (temp) => {
    const source = await open(path, 'r');
    const out = createWriteStream(temp, { highWaterMark: 1 << 20 });
    const placed = new Uint8Array(offsets.length);
    const write = async (chunk: Buffer) => {
      linesAfter++;
      const room = out.write(chunk);
      if (!out.write(NEWLINE) || !room) await once(out, 'drain');
    };
    try {
      if (read.bom) out.write('\uFEFF'); // keep a --bom file's BOM
      for await (const batch of readRowBatches(input)) {
        for (const item of batch.items) {
          const slot = item.kind === 'row' ? slots.get(item.id) : undefined;
          if (slot === undefined || placed[slot]) continue;
          placed[slot] = 1;
          const line = Buffer.allocUnsafe(lengths[slot]!);
          await source.read(line, 0, line.length, offsets[slot]!);
          await write(line);
        }
      }
      // What the input does not place, in file order: compaction never drops what it does not understand.
      await forEachLine(path, async ({ buffer, start, end, offset }) => {
        const id = idOfLine(buffer, start, end);
        const slot = id === undefined ? undefined : slots.get(id)!;
        if (slot !== undefined && (placed[slot] || offsets[slot] !== offset)) return;
        await write(Buffer.from(buffer.subarray(start, end)));
      });
    } finally {
      await source.close();
      out.end();
      await finished(out);
    }
  });
  return { linesBefore, linesAfter };
}

const NEWLINE = Buffer.from('\n');
