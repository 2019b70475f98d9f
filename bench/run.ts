/**
 * `npm run bench [-- name …]`: runs the benchmarks (all, or those named) and writes each
 * result into BENCHMARKS.md with the command that produced it.
 */
import { benchBatchMemory, benchBatchOverhead, benchBatchResume, benchBatchScheduling, benchBatchVsSeed } from './batch.js';
import { benchResults } from './results.js';
import { benchServerRuns, benchServerStreams } from './server.js';
import { benchQueueScaleOut } from './queue.js';
import { benchRealDify } from './real-dify.js';
import { benchSseDecode } from './sse-decode.js';
import { benchBatchCycle } from './cycle.js';
import { benchBatchFaultKinds, benchBatchFaults, benchBatchLocalMemory, benchStartup } from './targets.js';
import { benchBatchXlsx } from './xlsx.js';
import { writeSection, type BenchResult } from './report.js';

/** A string instead of a result: the benchmark was skipped, and why (one line). */
const SUITES: Record<string, () => Promise<BenchResult | string>> = {
  'cli-startup': benchStartup,
  'sse-decode': benchSseDecode,
  'batch-scheduling': benchBatchScheduling,
  'batch-cycle': benchBatchCycle,
  'batch-overhead': benchBatchOverhead,
  'batch-memory': benchBatchMemory,
  'batch-resume': benchBatchResume,
  'batch-vs-seed': benchBatchVsSeed,
  'batch-local-memory': benchBatchLocalMemory,
  'batch-faults': benchBatchFaults,
  'batch-fault-kinds': benchBatchFaultKinds,
  'batch-xlsx': benchBatchXlsx,
  'server-runs': benchServerRuns,
  'server-streams': benchServerStreams,
  'results-100k': benchResults,
  'queue-scale-out': benchQueueScaleOut,
  'real-dify': benchRealDify,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SUITES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(SUITES)) {
  console.error(`running ${name} …`);
  const result = await SUITES[name]!();
  if (typeof result === 'string') {
    console.error(result);
    continue;
  }
  console.log(`\n## ${result.title}\n${result.summary}\n${result.table.join('\n')}`);
  writeSection('BENCHMARKS.md', result, `npm run bench -- ${name}`);
}
