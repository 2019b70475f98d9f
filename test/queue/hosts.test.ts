/**
 * What a user of several hosts relies on: API keys never reach Redis, a worker without an
 * app's key leaves its rows to workers that have it (several keys per worker), and a wrong
 * or unreachable --queue is one clear line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { keyFingerprint } from '../../src/queue/keys.js';
import { cli, readOutput, tempDir } from '../helpers/batch-harness.js';
import { ECHO_WORKFLOW, echoCsv, outputLines, queueFixture, startWorker, submit, waitFor } from './queue-harness.js';
import { freePort } from './redis-harness.js';

const SECRET = `app-${randomBytes(12).toString('hex')}`;
const fixture = queueFixture({ workflow: ECHO_WORKFLOW, apiKey: SECRET, faults: { latencyMs: 300 } });
const { missing } = fixture;

/** Every key and every value in Redis, read by type, plus each key's DUMP. */
async function everything(client: Redis): Promise<string> {
  const parts: string[] = [];
  for (const key of await client.keys('*')) {
    const type = await client.type(key);
    parts.push(key, type);
    if (type === 'string') parts.push((await client.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await client.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await client.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
    parts.push(((await client.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('latin1'));
  }
  return parts.join('\n');
}

describe('keys stay on the hosts', { skip: missing }, () => {
  test('a worker without the key leaves the rows; one holding it in DIFY_API_KEYS runs them; Redis never holds the key', async () => {
    const dir = tempDir('difyrun-hosts-');
    const input = echoCsv(dir, 40);
    const output = join(dir, 'out.jsonl');
    const stranger = startWorker(fixture.redis().url, { DIFY_API_KEY: 'app-some-other-app' }, ['--lease', '5']);
    const batch = submit(fixture.server(), fixture.redis().url, ['-i', input, '-o', output, '-c', '4', '--mode', 'streaming', '--quiet']);
    let holder: ReturnType<typeof startWorker> | undefined;
    try {
      // The stranger sees the app and declines it; nothing runs while it is the only worker.
      let strangerLog = '';
      stranger.child.stderr!.on('data', (chunk: Buffer) => (strangerLog += chunk.toString()));
      await waitFor(() => strangerLog.includes('no key with that fingerprint here'), 60_000, 'the worker without the key to decline the app');
      assert.match(strangerLog, new RegExp(`not serving ${fixture.server().baseURL.replace(/[/.]/g, '\\$&')} \\(key ${keyFingerprint(SECRET)}\\)`));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(fixture.server().executedRuns, 0);

      holder = startWorker(fixture.redis().url, { DIFY_API_KEY: 'app-yet-another', DIFY_API_KEYS: `app-unused, ${SECRET}` }, ['--lease', '5']);
      await waitFor(() => outputLines(output) >= 3, 60_000, 'the first outcomes');
      const midRun = await everything(fixture.redis().client);
      assert.ok(midRun.includes(keyFingerprint(SECRET)), 'the app is named by its key fingerprint');
      assert.ok(midRun.includes('Question'), 'row inputs are there, so the search is not vacuous');
      assert.ok(!midRun.includes(SECRET), 'the API key was written to Redis');
      assert.ok(!midRun.includes(SECRET.slice(4)), 'part of the API key was written to Redis');

      const result = await batch.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(readOutput(output).filter((line) => line.status === 'success').length, 40);
      assert.ok(!(await everything(fixture.redis().client)).includes(SECRET.slice(4)));
      holder.child.kill('SIGINT');
      const holderEnd = await holder.done;
      assert.equal(holderEnd.code, 0, holderEnd.stderr);
      assert.ok(!holderEnd.stderr.includes(SECRET.slice(4)) && !result.stderr.includes(SECRET.slice(4)), 'no key in what the CLI printed');
    } finally {
      stranger.child.kill('SIGKILL');
      holder?.child.kill('SIGKILL');
      batch.child.kill('SIGKILL');
    }
  });
});

describe('--queue mistakes', { skip: missing }, () => {
  test('a URL that is not redis:// is a usage error (exit 2); an unreachable Redis is one line (exit 1)', async () => {
    const dir = tempDir('difyrun-hosts-');
    const input = echoCsv(dir, 2);
    const bad = await submit(fixture.server(), fixture.redis().url, ['-i', input, '-o', join(dir, 'o.jsonl'), '--queue', 'http://127.0.0.1:1/0']).done;
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--queue must start with redis:\/\/ or rediss:\/\//);
    const port = await freePort();
    const down = await submit(fixture.server(), `redis://:hunter2@127.0.0.1:${port}/0`, ['-i', input, '-o', join(dir, 'o.jsonl')]).done;
    assert.equal(down.code, 1, down.stderr);
    assert.match(down.stderr, new RegExp(`cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0`));
    assert.ok(!down.stderr.includes('hunter2'), 'the Redis password is not printed');
    assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
    const noKey = await cli(['worker', '--queue', fixture.redis().url]).done;
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /No API key: set DIFY_API_KEY \(and DIFY_API_KEYS=k1,k2 for more apps\)/);
  });

  test('--rerun-all and --rerun-older-versions are refused with --queue (exit 2), not silently ignored', async () => {
    const dir = tempDir('difyrun-hosts-');
    const input = echoCsv(dir, 2);
    for (const flag of ['--rerun-all', '--rerun-older-versions']) {
      const refused = await submit(fixture.server(), fixture.redis().url, ['-i', input, '-o', join(dir, 'o.jsonl'), flag]).done;
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, new RegExp(`${flag} does not work with --queue yet`));
    }
  });
});

describe('the input', { skip: missing }, () => {
  test('a queued batch reads its input as a local batch does: --encoding applies, the rows arrive intact', async () => {
    const dir = tempDir('difyrun-hosts-');
    const input = join(dir, 'latin1.csv');
    writeFileSync(input, Buffer.from('id,user_name,query,language\nq1,José,¿Qué tal?,English\nq2,Zoë,Ça va,Japanese\n', 'latin1'));
    const output = join(dir, 'out.jsonl');
    const worker = startWorker(fixture.redis().url, { DIFY_API_KEY: SECRET }, ['--quiet']);
    try {
      const result = await submit(fixture.server(), fixture.redis().url, ['-i', input, '-o', output, '--encoding', 'windows-1252', '--quiet']).done;
      assert.equal(result.code, 0, result.stderr);
      const byId = new Map(readOutput(output).map((line) => [line.id, line.inputs as Record<string, string>]));
      assert.deepEqual(byId.get('q1'), { id: 'q1', user_name: 'José', query: '¿Qué tal?', language: 'English' });
      assert.equal(byId.get('q2')?.user_name, 'Zoë');
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});
