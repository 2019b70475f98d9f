/** Workers and submitters as users start them (the CLI from source), against a local server and a test Redis. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, type CliRun } from '../helpers/batch-harness.js';
import { after, before } from 'node:test';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { redisMissing, startRedis, type RedisOptions, type TestRedis } from './redis-harness.js';

export const ECHO_WORKFLOW = 'test/fixtures/workflows/seed-echo.yml';

/** A CSV of `count` rows for the echo workflow. */
export function echoCsv(dir: string, count: number, name = 'in.csv'): string {
  const lines = ['id,user_name,query,language'];
  for (let i = 0; i < count; i++) lines.push(`q${String(i).padStart(5, '0')},User ${i},Question ${i},${i % 2 ? 'English' : 'Japanese'}`);
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export function startWorker(redisUrl: string, env: Record<string, string>, args: string[] = []): CliRun {
  return reaped(cli(['worker', '--queue', redisUrl, ...args], { env }));
}

/** `difyrun batch --queue` with quick retries, against `server`. */
export function submit(server: RunningServer, redisUrl: string, args: string[], env: Record<string, string> = {}): CliRun {
  return reaped(
    cli(['batch', '--queue', redisUrl, ...args], {
      env: { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL, INITIAL_RETRY_DELAY: '0.2', MAX_RETRY_DELAY: '2', TIMEOUT: '20', ...env },
    }),
  );
}

const children = new Set<CliRun>();

/** Workers wait forever by design: whatever a test leaves running ends with the test process (a timeout included). */
export function reaped(run: CliRun): CliRun {
  if (children.size === 0) {
    process.once('exit', () => {
      for (const child of children) child.child.kill('SIGKILL');
    });
    process.once('SIGTERM', () => process.exit(1));
  }
  children.add(run);
  void run.done.then(() => children.delete(run));
  return run;
}

/** Resolves once `check` is true, polling; rejects after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface QueueFixture {
  /** Why the file's tests are skipped (no redis-server), else undefined. */
  missing: string | undefined;
  redis(): TestRedis;
  server(): RunningServer;
}

/** A test Redis and a local server for the whole file, started before its tests and stopped after them. */
export function queueFixture(serverOptions: ServerOptions, redisOptions: RedisOptions = {}): QueueFixture {
  const missing = redisMissing();
  let redis: TestRedis | undefined;
  let server: RunningServer | undefined;
  before(async () => {
    if (missing) return;
    redis = await startRedis(redisOptions);
    server = await startServer({ port: 0, ...serverOptions });
  });
  after(async () => {
    await server?.close();
    await redis?.stop();
  });
  return { missing, redis: () => redis!, server: () => server! };
}

/** Lines written to an output file so far (0 before it exists). */
export function outputLines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}
