/**
 * What `difyrun batch` does before its first request and after its last one, as a process: it
 * must not pay for what it never uses (Node's undici, the engine of the global fetch, costs about
 * 50 ms of CPU to load), and it ends with its output whole.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { cli, readOutput, tempDir } from '../helpers/batch-harness.js';

let server: RunningServer;
before(async () => {
  server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0 });
});
after(() => server.close());

test('a batch never loads undici (the global fetch, FormData and Headers): its JSON requests go through node:http', async () => {
  const dir = tempDir();
  // Preloaded into the CLI: says at exit whether Node loaded undici.
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    "process.on('exit', () => process.stderr.write(process.moduleLoadList.some((m) => m.includes('undici')) ? 'undici loaded\\n' : 'no undici\\n'));\n",
  );
  const rows = Array.from({ length: 20 }, (_, i) => `r${i},User ${i},Question ${i}`).join('\n');
  writeFileSync(join(dir, 'in.csv'), `id,user_name,query\n${rows}\n`);
  const run = await cli(['batch', '-i', 'in.csv', '-o', 'out.jsonl', '--quiet', '--json'], {
    cwd: dir,
    env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL, NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` },
  }).done;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /no undici/);
  assert.equal((JSON.parse(run.stdout) as { succeeded: number }).succeeded, 20, 'the summary on stdout is whole');
  assert.equal(readOutput(join(dir, 'out.jsonl')).length, 20);
});
