/**
 * A private redis-server for queue tests: 127.0.0.1, a free port, removed at the end. No
 * persistence unless asked for; with `appendfsync`, an append-only file in its own directory,
 * and `crash()` then `start()` is a Redis restart that keeps what the AOF holds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisOptions {
  /** Turn on the append-only file with this fsync policy (the README's persistence settings). */
  appendfsync?: 'always' | 'everysec';
}

export interface TestRedis {
  url: string;
  port: number;
  /** Reconnects on its own across a restart. */
  client: Redis;
  /** SIGKILLs redis-server: a crash, nothing flushed beyond what the fsync policy already did. */
  crash(): Promise<void>;
  /** Starts redis-server again on the same port and data directory. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Why queue tests cannot run here, or undefined when redis-server is installed. */
export function redisMissing(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.error ? 'redis-server is not installed (apt-get install -y redis-server; .ci/run installs it)' : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'difyrun-redis-'));
  const port = await freePort();
  const persistence = options.appendfsync ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir];
  let child: ChildProcess | undefined;
  const reap = () => child?.kill('SIGKILL');
  process.once('exit', reap);
  // The test runner ends a file that timed out with SIGTERM: exit, so that `reap` runs.
  if (process.listenerCount('SIGTERM') === 0) process.once('SIGTERM', () => process.exit(1));

  const crash = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    // Loading a large AOF takes a moment: ready once it answers PING.
    for (let tries = 0; !(await answers(port)); tries++) {
      if (tries > 400) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await start();
  const url = `redis://127.0.0.1:${port}/0`;
  const client = new Redis(url);
  client.on('error', () => {}); // reconnects after a restart
  return {
    url,
    port,
    client,
    crash,
    start,
    async stop() {
      client.disconnect();
      process.off('exit', reap);
      await crash();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a Redis on `port` answers PING with PONG (not LOADING, not refused). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      resolve(reply.startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
