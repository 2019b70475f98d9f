/** Ways to cut a byte string into network chunks, for decoder tests. */

/** Seeded PRNG (the server's fault injector uses the same one). */
import { mulberry32 } from '../../src/server/faults.js';

export const seededRandom = mulberry32;

export interface Chunking {
  name: string;
  chunks: Uint8Array[];
}

/** Whole, one byte at a time, every two-way split, fixed sizes and seeded random sizes. */
export function* everyChunking(bytes: Uint8Array, randomRuns = 20): Generator<Chunking> {
  yield { name: 'whole', chunks: [bytes] };
  yield { name: 'one byte at a time', chunks: Array.from(bytes, (b) => Uint8Array.of(b)) };
  for (let i = 1; i < bytes.length; i++) {
    yield { name: `split at ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] };
  }
  for (const size of [2, 3, 5, 7, 13]) yield { name: `every ${size} bytes`, chunks: fixedChunks(bytes, size) };
  for (let run = 0; run < randomRuns; run++) {
    yield { name: `random #${run}`, chunks: randomChunks(bytes, seededRandom(run + 1), 1, 24) };
  }
}

export function fixedChunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export function randomChunks(bytes: Uint8Array, random: () => number, min: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const size = min + Math.floor(random() * (max - min + 1));
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}
