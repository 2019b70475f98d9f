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
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new QueueConnectionError(`--queue must start with redis:// or rediss://, got "${redactUrl(text)}"`);
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
  /**
   * Resolves with the reason once Redis has not answered a PING for `ms` (down, or a network
   * that swallows packets); never while it answers. Stops probing when `signal` aborts.
   */
  unreachableFor(ms: number, signal: AbortSignal): Promise<string>;
  /** Says once when the connection to Redis is lost (work pauses) and once when it is back. */
  reportOutages(log: (line: string) => void): void;
  /** Quits politely while Redis answers; drops the connections at once when it does not. */
  close(): Promise<void>;
}

/** Errors that only say Redis is away for now: the connection reconnects, reportOutages says so once. */
export function isConnectionError(error: Error): boolean {
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|Connection is closed|LOADING/.test(error.message);
}

const PROBE_MS = 500;

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
    async unreachableFor(ms, signal) {
      let answeredAt = Date.now();
      while (!signal.aborted) {
        const answered = await Promise.race([
          redis.ping().then(
            () => true,
            () => false,
          ),
          delay(PROBE_MS).then(() => false),
        ]);
        if (answered) answeredAt = Date.now();
        else if (Date.now() - answeredAt >= ms) return lastError.error?.message ?? `no answer for ${Math.round(ms / 1000)} s`;
        await delay(PROBE_MS);
      }
      return 'not probed';
    },
    reportOutages(log) {
      let lost = false;
      redis.on('reconnecting', () => {
        if (lost) return;
        lost = true;
        log(`lost the connection to Redis at ${redactUrl(text)}; reconnecting (rows wait meanwhile)`);
      });
      redis.on('ready', () => {
        if (!lost) return;
        lost = false;
        log(`reconnected to Redis at ${redactUrl(text)}`);
      });
    },
    async close() {
      for (const copy of extra) copy.disconnect();
      // A quit sent while Redis is away would wait in the offline queue for it to come back.
      if (redis.status !== 'ready') return redis.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
