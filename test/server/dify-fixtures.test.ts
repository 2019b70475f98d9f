/**
 * Dify's own workflow fixtures (api/tests/fixtures/workflow/ in the kit's Dify source
 * tarball): the nine that need no LLM, tool or plugin must give the outputs and the event
 * sequence the real Dify 1.13.2 server gave. test/fixtures/dify-fixture-events.json holds
 * the real server's events, recorded by importing each fixture with the kit
 * (setup.sh --import) and running it streaming with the same inputs; ids and times are
 * left out. Skips cleanly when ../shared is absent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DifyClient } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { tempDir } from '../helpers/batch-harness.js';
import { streamSignatures } from '../helpers/event-signature.js';
import { findKitDir } from '../real-dify/integration-kit.js';

/** DIFYRUN_SHARED_DIR, else the kit next to this checkout or, from a git worktree, next to the main checkout. */
const KIT = process.env['DIFYRUN_SHARED_DIR'] ? join(process.env['DIFYRUN_SHARED_DIR'], 'real-dify') : (findKitDir() ?? '../shared/real-dify');
const TARBALL = join(KIT, 'dify-api-1.13.2.tar.gz');
const FIXTURES = 'api/tests/fixtures/workflow';
const present = existsSync(TARBALL);

interface RecordedCase {
  file: string;
  inputs: Record<string, string | number>;
  /** One signature per event (test/helpers/event-signature.ts). */
  events: unknown[][];
}
const RECORDED = JSON.parse(readFileSync(new URL('../fixtures/dify-fixture-events.json', import.meta.url), 'utf8')) as RecordedCase[];

describe("Dify's own workflow fixtures match the real server", { skip: present ? false : `${TARBALL} not present` }, () => {
  let dir = '';
  const servers = new Map<string, RunningServer>();
  before(() => {
    dir = tempDir();
    const files = [...new Set(RECORDED.map((c) => `${FIXTURES}/${c.file}`))];
    const untar = spawnSync('tar', ['-xzf', TARBALL, '-C', dir, ...files], { encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
  });
  after(async () => {
    for (const server of servers.values()) await server.close();
  });

  test('the nine fixtures without LLM, tool or plugin nodes are all covered', () => {
    assert.equal(new Set(RECORDED.map((c) => c.file)).size, 9);
  });

  for (const recorded of RECORDED) {
    test(`${recorded.file} ${JSON.stringify(recorded.inputs)}`, async () => {
      let server = servers.get(recorded.file);
      if (!server) {
        server = await startServer({ workflow: join(dir, FIXTURES, recorded.file), port: 0 });
        servers.set(recorded.file, server);
      }
      assert.deepEqual(await streamSignatures(server.baseURL, server.apiKey, recorded.inputs), recorded.events);

      const finished = recorded.events.at(-1)!;
      const dify = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL });
      const blocking = await dify.workflows.run({ inputs: recorded.inputs, user: 'fixtures' });
      assert.equal(blocking.data.status, finished[1], blocking.data.error ?? '');
      assert.deepEqual(blocking.data.outputs, finished[2]);
    });
  }
});
