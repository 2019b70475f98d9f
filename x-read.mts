import { readRowBatches } from './src/batch/input/read-rows.js';
const t = performance.now();
let n = 0; let maxHeap = 0;
for await (const b of readRowBatches(process.argv[2]!)) { n += b.items.length; const m = process.memoryUsage(); maxHeap = Math.max(maxHeap, m.heapUsed); }
(globalThis as any).gc?.();
const m = process.memoryUsage();
console.log('read', n, Math.round(performance.now() - t), 'ms', 'maxHeapUsed', Math.round(maxHeap/1e6), 'after gc heap', Math.round(m.heapUsed/1e6), 'rss', Math.round(m.rss/1e6), 'ext', Math.round(m.external/1e6), 'ab', Math.round(m.arrayBuffers/1e6));
