/**
 * The `--queue redis://HOST:PORT/DB` connection. The first connect fails fast with one line
 * (a typo should not hang); after that, ioredis reconnects for as long as it takes, so a
 * Redis restart pauses the work instead of ending it.
 */
import { Redis } from 'ioredis';

/** A bad --queue URL or an unreachable Redis: one line, with any password left out. */
export class QueueConnectionError extends Error {
  override name = 'QueueConnectionError';
}

/** The URL as it may be printed: without a password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_match, auth: string) => (auth.includes(':') ? `//${auth.split(':')[0]}:***@` : '//***@'));
}

/** Checks `--queue`: redis:// or rediss://, a host, and a database number when given. */
export function parseQueueUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new QueueConnectionError(`--queue must be a URL like redis://HOST:PORT/DB, got "${redactUrl(text)}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new QueueConnectionError(`--queue must start with redis:// or rediss://, got "${redactUrl(text)}"`);
  if (url.hostname === '') throw new QueueConnectionError(`--queue has no host: "${redactUrl(text)}"`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new QueueConnectionError(`--queue: the database must be a number (redis://HOST:PORT/DB), got "/${db}"`);
  return url;
}

export interface QueueConnection {
  /** For ordinary commands. */
  redis: Redis;
  url: string;
  /** The URL without its password, for messages. */
  displayUrl: string;
  /** A new connection to the same server (BullMQ workers block on their own). */
  duplicate(): Redis;
  close(): Promise<void>;
}

/** Connects, waiting at most `timeoutMs` for the first connection. */
export async function connectQueue(text: string, options: { timeoutMs?: number } = {}): Promise<QueueConnection> {
  parseQueueUrl(text);
  const open = (lazyConnect: boolean, enableAutoPipelining = false) =>
    new Redis(text, {
      // Commands issued in the same tick (many rows at once) share one write.
      enableAutoPipelining,
      // BullMQ needs commands to wait through a reconnect rather than fail after N tries.
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      lazyConnect,
    });
  const redis = open(true, true);
  const lastError: { error?: Error } = {};
  redis.on('error', (error: Error) => (lastError.error = error));
  const timeoutMs = options.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(lastError.error?.message ?? `no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const reason = (error as Error).message || 'connection refused';
    throw new QueueConnectionError(`cannot reach Redis at ${redactUrl(text)} (${reason}); is redis-server running there?`);
  } finally {
    clearTimeout(timer);
  }
  const extra = new Set<Redis>();
  return {
    redis,
    url: text,
    displayUrl: redactUrl(text),
    duplicate() {
      const copy = open(false);
      copy.on('error', () => {}); // reconnects on its own; the main connection reports problems
      extra.add(copy);
      return copy;
    },
    async close() {
      for (const copy of extra) copy.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
