/**
 * `difyrun batch` is I/O-bound and may run for hours over millions of rows. V8 lets its young
 * generation grow to 3 × 16 MB, memory the batch never needs; keeping it at its initial size
 * saves ~30 MB of resident memory (BENCHMARKS.md: batch-memory). The flag still takes effect
 * when set at run time, before the heap has grown. (--optimize-for-size would save another
 * 40 MB but cost a third of the client's throughput: measured, not taken.)
 *
 * The batch's live heap is ~15 MB, but V8 lets old space grow up to 4× the live size before
 * the next full GC, so a 10,000-row run peaked with ~45 MB of promoted garbage. Growing by at
 * most 2× (--heap-growing-percent=100) took that run from 143 to 112 MB peak RSS for ~5% more
 * CPU (BENCHMARKS.md: notes on issue 17).
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeapForBatch(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=100');
}
