/**
 * The event recordings the local tests compare `serve` with (test/fixtures/dify-fixture-events.json:
 * Dify's own nine no-LLM workflow fixtures; test/fixtures/engine-node-events.json: iteration,
 * loop, assigner and list operator) were taken from the real Dify 1.13.2. This replays each
 * recorded run on the kit today, so the recordings, and with them test/server/dify-fixtures.test.ts
 * and test/server/nodes/real-server-runs.test.ts, are known to still say what the real server does.
 * Parallel iteration rounds finish in any order on the real server: for those runs the events are
 * compared as a set.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { streamSignatures } from '../helpers/event-signature.js';
import { realApp, type Target } from './differential-harness.js';
import { realDifyKit } from './integration-kit.js';

interface RecordedCase {
  file: string;
  inputs: Record<string, unknown>;
  events: unknown[][];
}
const read = (name: string) => JSON.parse(readFileSync(resolve('test/fixtures', name), 'utf8')) as RecordedCase[];
const FIXTURES = read('dify-fixture-events.json');
const ENGINE = read('engine-node-events.json');

const opened = await realDifyKit();
const kit = typeof opened === 'string' ? undefined : opened.dir;

describe('the real-server recordings still hold on the real Dify 1.13.2', { skip: typeof opened === 'string' ? opened : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'difyrun-recordings-'));
  const apps = new Map<string, Target>();
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The kit's app for a DSL file, imported under the name the kit's earlier imports used (engfx_ for Dify's fixtures). */
  function app(file: string, source: () => string, dify: boolean): Target {
    let target = apps.get(file);
    if (!target) {
      target = realApp(kit!, source(), dify);
      apps.set(file, target);
    }
    return target;
  }

  function fixtureFile(file: string): string {
    const member = `api/tests/fixtures/workflow/${file}`;
    const untar = spawnSync('tar', ['-xzf', join(kit!, 'dify-api-1.13.2.tar.gz'), '-C', dir, member], { encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
    const named = join(dir, `engfx_${file}`);
    copyFileSync(join(dir, member), named);
    return named;
  }

  const cases: [string, RecordedCase, () => string, boolean][] = [
    ...FIXTURES.map((c): [string, RecordedCase, () => string, boolean] => [`Dify fixture ${c.file}`, c, () => fixtureFile(c.file), true]),
    ...ENGINE.map((c): [string, RecordedCase, () => string, boolean] => [`engine ${c.file}`, c, () => resolve('test/fixtures/workflows', c.file), false]),
  ];
  for (const [name, recorded, source, dify] of cases) {
    test(`${name} ${JSON.stringify(recorded.inputs)}`, async () => {
      const target = app(recorded.file, source, dify);
      const events = await signaturesOnce(target, recorded.inputs);
      if (parallel(source())) {
        const sorted = (list: unknown[][]) => list.map((e) => JSON.stringify(e)).sort();
        assert.deepEqual(sorted(events), sorted(recorded.events));
        assert.deepEqual(events.at(-1), recorded.events.at(-1));
      } else {
        assert.deepEqual(events, recorded.events);
      }
    });
  }
});

/** A stream the server cut mid-way (seen once on the busy kit) says nothing about the events: it is run once more. */
async function signaturesOnce(target: Target, inputs: Record<string, unknown>): Promise<unknown[][]> {
  try {
    return await streamSignatures(target.baseURL, target.key, inputs);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    process.stderr.write(`recordings: the kit closed a stream mid-way (${String(error)}); running it once more\n`);
    return streamSignatures(target.baseURL, target.key, inputs);
  }
}

function parallel(dsl: string): boolean {
  return /is_parallel: true/.test(readFileSync(dsl, 'utf8'));
}
