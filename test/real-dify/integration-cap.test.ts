/**
 * The per-app concurrency cap of the real Dify 1.13.2 (`APP_MAX_ACTIVE_REQUESTS=2`), which answers
 * 400 `invalid_param` "Too many requests…" rather than 429: `difyrun batch -c 8` must take those
 * answers as the server limiting it (retried, the window narrowed), not as failed rows, and run
 * every row exactly once (counted in the server's own logs).
 *
 * It needs a second kit instance (the shared one on 5801 runs without a cap and is never
 * restarted): SECOND_KIT's root and ports, no sandbox, started here with the cap and stopped
 * after. Its first start ever is cold (database migrations: about 5 min on a loaded machine); a
 * warm start is well under a minute.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DifyClient } from '../../src/index.js';
import { readOutput, tempDir } from '../helpers/batch-harness.js';
import { buildCli, kitInstance, SECOND_KIT, spawnCli, uniqueTag, type KitInstance } from './integration-kit.js';

const capped = kitInstance({ ...SECOND_KIT, settings: { APP_MAX_ACTIVE_REQUESTS: '2', CELERY_WORKER_AMOUNT: '4' } });
const skip = typeof capped === 'string' ? `real-Dify cap test ${capped}` : false;
if (typeof capped !== 'string') process.stderr.write(`real-dify: capped instance ready in ${Math.round(capped.setupMs / 1000)} s\n`);

describe('real Dify with APP_MAX_ACTIVE_REQUESTS=2', { skip }, () => {
  let entry: string;
  before(async () => {
    entry = await buildCli();
  });
  after(() => (capped as KitInstance).stop());

  for (const mode of ['blocking', 'streaming'] as const) {
    test(`-c 8, ${mode}: the cap's 400 "Too many requests" is rate limiting, and every row runs once`, async () => {
      const echo = (capped as KitInstance).app('difyrun-echo');
      const dir = tempDir('difyrun-it-cap-');
      const user = uniqueTag(`cap-${mode}`);
      const rows = 24;
      writeFileSync(join(dir, 'in.csv'), `id,query\n${Array.from({ length: rows }, (_, i) => `c${i},capped ${i}`).join('\n')}\n`);
      const run = spawnCli(entry, ['batch', '-i', 'in.csv', '-o', 'out.jsonl', '-c', '8', '--mode', mode, '--user', user, '--json'], {
        cwd: dir,
        env: { DIFY_API_KEY: echo.apiKey, DIFY_API_BASE_URL: echo.baseURL },
      });
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { succeeded: number; failed: number; retries: number; duplicate_executions: number };
      assert.equal(summary.succeeded, rows);
      assert.equal(summary.failed, 0);
      assert.ok(summary.retries > 0, 'the cap turned attempts away (8 in flight against 2 allowed) and they were sent again');
      const records = readOutput(join(dir, 'out.jsonl'));
      assert.equal(records.length, rows, 'one line per row: no failed attempt was recorded');
      assert.ok(records.every((record) => record['status'] === 'success' && record['error'] === null));
      const client = new DifyClient({ apiKey: echo.apiKey, baseURL: echo.baseURL });
      const runs = [];
      for await (const entry of client.workflows.iterateLogs({ endUserSessionId: user, limit: 100 })) runs.push(entry.workflow_run);
      assert.equal(runs.length, rows, 'the server ran each row exactly once');
      assert.ok(runs.every((r) => r.status === 'succeeded'));
    });
  }
});
