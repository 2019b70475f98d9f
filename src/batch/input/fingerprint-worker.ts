/**
 * The worker side of FingerprintsAhead (fingerprints-ahead.ts): reads the input on the second
 * core and fingerprints rows ahead of the scan, so a resume's scan compares numbers instead of
 * hashing a million rows itself. Writes into the shared ring; never posts per row.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { inputFingerprintWords } from '../../results/fingerprint.js';
import { readRowBatches, type InputOptions } from './read-rows.js';
import { RingWriter } from './fingerprint-ring.js';

const { file, options, ring } = workerData as { file: string; options: InputOptions; ring: SharedArrayBuffer };
const writer = new RingWriter(ring);
lowerPriority();
try {
  for await (const batch of readRowBatches(file, undefined, undefined, options)) {
    if (!writer.open) break;
    for (const item of batch.items) {
      if (item.kind !== 'row' || !writer.wants(item.line)) continue;
      const { high, low } = inputFingerprintWords(item.values);
      writer.put(item.line, high, low);
    }
  }
} catch {
  // The scan reads the same file and reports its problems; here a failure only means the scan computes them itself.
}

/**
 * Spare CPU only: on a busy machine the main thread (and everyone else) goes first, and the scan
 * fingerprints more rows itself, rather than this thread taking time from it. Linux gives each
 * thread its own nice value; elsewhere, or if refused, the worker runs at the usual priority.
 */
function lowerPriority(): void {
  try {
    const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(thread) && thread > 0) setPriority(thread, 10);
  } catch {
    // not Linux: the usual priority
  }
}
