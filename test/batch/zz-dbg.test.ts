import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { batchInProcess, defaultConfig, readOutput, reviewsCsv, tempDir } from '../../test/helpers/batch-harness.js';
test('dbg', async () => {
  const server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { seed: 11, latencyMs: { min: 5, max: 40 }, rate429: 0.05, rate500: 0.05, rate502: 0.04, rate504: 0.03, resetRate: 0.04, dropRate: 0.05, stallRate: 0.02 }, pingIntervalMs: 500 });
  const dir = tempDir(); const input = join(dir, 'in.csv'); const output = join(dir, 'out.jsonl');
  writeFileSync(input, reviewsCsv(2000));
  const result = await batchInProcess(server, defaultConfig(input, output, { concurrency: 32, maxRetries: 6 }));
  console.log('exit', result.exitCode, result.stderr.slice(0, 2000));
  const s = result.summary!; console.log(JSON.stringify({ ...s, latency_ms: undefined }));
  for (const l of readOutput(output)) if (l.status !== 'success') console.log(JSON.stringify(l).slice(0, 400));
  console.log('executed', server.executedRuns);
  await server.close();
});
