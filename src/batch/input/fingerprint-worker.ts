/**
 * The worker side of FingerprintsAhead (fingerprints-ahead.ts): reads the input on the second
 * core and fingerprints rows ahead of the scan, so a resume's scan compares numbers instead of
 * hashing a million rows itself. Writes into the shared ring; never posts per row.
 */
import { workerData } from 'node:worker_threads';
import { inputFingerprintWords } from '../../results/fingerprint.js';
import { readRowBatches, type InputOptions } from './read-rows.js';
import { RingWriter } from './fingerprint-ring.js';

const { file, options, ring } = workerData as { file: string; options: InputOptions; ring: SharedArrayBuffer };
const writer = new RingWriter(ring);
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
