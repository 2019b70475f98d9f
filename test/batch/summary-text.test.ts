/** What a one-row batch says: "1 row", never "1 rows" (issue 10's "1 failed of 1 rows"). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { batchInProcess, defaultConfig, tempDir } from '../helpers/batch-harness.js';

let server: RunningServer;
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
});
after(() => server.close());

test('one row: invalid, resumed, nothing to do — each count in the singular', async () => {
  const dir = tempDir();
  const input = join(dir, 'in.csv');
  const output = join(dir, 'out.jsonl');
  const config = defaultConfig(input, output, { quiet: false });

  writeFileSync(input, 'id,review,rating\nbad,Fine,not-a-number\n');
  const invalid = await batchInProcess(server, defaultConfig(input, join(dir, 'invalid.jsonl'), { quiet: false }));
  assert.match(invalid.stderr, /^0 succeeded, 1 failed of 1 row in /m);
  assert.match(invalid.stderr, /^1 row had invalid inputs and was not sent$/m);

  writeFileSync(input, 'id,review,rating\nok,Fine,4\n');
  const first = await batchInProcess(server, config);
  assert.equal(first.exitCode, 0, first.stderr);
  writeFileSync(input, 'id,review,rating\nok,Fine,4\nnew,Good,5\n');
  const resumed = await batchInProcess(server, config);
  assert.match(resumed.stderr, /^Resuming: skipping 1 row that already succeeded in /m);
  assert.match(resumed.stderr, /^1 succeeded, 0 failed of 1 row in /m);
  assert.match(resumed.stderr, /^skipped 1 row that already succeeded in /m);

  writeFileSync(input, 'id,review,rating\nok,Fine,4\n');
  const nothing = await batchInProcess(server, config);
  assert.match(nothing.stderr, /^Nothing to do: the one row already succeeded in /m);
});
