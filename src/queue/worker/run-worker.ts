/**
 * `difyrun worker`: serves, from this host, every app in Redis whose key this host holds.
 * It looks for apps every 2 s (a submitter registers its app), announces itself so that a
 * submitter can tell whether anyone can run its rows, and on the first Ctrl-C stops taking
 * rows and finishes those in flight.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { QueueConnectionError, type QueueConnection } from '../connection.js';
import { keys, type AppRef } from '../keys.js';
import type { KeyRing } from '../app-keys.js';
import { AppRunner, type WorkerTuning } from './app-runner.js';
import { BatchContexts } from './batch-contexts.js';

const DISCOVER_MS = 2000;
const HEARTBEAT_MS = 5000;
const STATUS_MS = 10_000;

export interface WorkerIO {
  log(message: string): void;
  /** First Ctrl-C: take no more rows, finish those in flight. */
  interrupt: AbortSignal;
  /** Second Ctrl-C. */
  hardStop: AbortSignal;
}

export interface WorkerPresence {
  host: string;
  pid: number;
  keyFingerprints: string[];
  seenAt: number;
}

export async function runWorker(connection: QueueConnection, keyRing: KeyRing, tuning: WorkerTuning & { quiet: boolean }, io: WorkerIO): Promise<void> {
  const redis = connection.redis;
  setMaxListeners(0, io.hardStop); // every row in flight listens
  const contexts = new BatchContexts(redis, connection.duplicate());
  const runners = new Map<string, AppRunner>();
  const skipped = new Set<string>();
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const shared = { connection, contexts, hardStop: io.hardStop, log: io.log };
  connection.reportOutages(io.log);

  const discover = async () => {
    const apps = await redis.hgetall(keys.apps);
    for (const [appId, text] of Object.entries(apps)) {
      if (runners.has(appId)) continue;
      const app = JSON.parse(text) as AppRef;
      const apiKey = keyRing.keyFor(app.keyFingerprint);
      if (apiKey === undefined) {
        if (!skipped.has(appId))
          io.log(`not serving ${app.baseURL} (key ${app.keyFingerprint}): no key with that fingerprint here; its rows are left to other workers`);
        skipped.add(appId);
        continue;
      }
      runners.set(appId, new AppRunner(app, apiKey, shared, tuning));
      if (!tuning.quiet) io.log(`serving ${app.baseURL} (key ${app.keyFingerprint}), up to ${tuning.concurrency} rows at once`);
    }
  };
  const heartbeat = () => {
    const presence: WorkerPresence = { host: hostname(), pid: process.pid, keyFingerprints: keyRing.fingerprints, seenAt: Date.now() };
    return redis.hset(keys.workers, workerId, JSON.stringify(presence));
  };
  const statusLine = (all: AppRunner[]) => `rows: ${sum(all, 'succeeded')} succeeded, ${sum(all, 'failed')} failed, ${sum(all, 'active')} in flight`;
  // Said when it changes: an idle worker says nothing.
  let lastStatus = statusLine([]);
  const status = () => {
    const line = statusLine([...runners.values()]);
    if (line !== lastStatus && !tuning.quiet) io.log(line);
    lastStatus = line;
  };

  // Redis may vanish right after connecting: a Ctrl-C must still be heard.
  await Promise.race([Promise.all([heartbeat(), discover()]), aborted(io.interrupt)]);
  const timers = [
    setInterval(() => void discover().catch((error: Error) => io.log(`cannot read the app list: ${error.message}`)), DISCOVER_MS),
    setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_MS),
    setInterval(status, STATUS_MS),
  ];
  try {
    await aborted(io.interrupt);
  } finally {
    for (const timer of timers) clearInterval(timer);
    const all = [...runners.values()];
    const inFlight = sum(all, 'active');
    if (inFlight > 0) io.log(`stopping: finishing ${inFlight} rows in flight (Ctrl-C again to leave them to other workers)`);
    const signOff = async () => {
      await Promise.all(all.map((runner) => runner.close()));
      status();
      await redis.hdel(keys.workers, workerId).catch(() => {}); // without heartbeats it counts as gone after 15 s anyway
    };
    try {
      await unlessRedisIsGone(connection, signOff(), all);
    } finally {
      contexts.close();
    }
  }
}

/** How long a stopping worker waits for an unanswering Redis before it leaves without it. */
const REDIS_GONE_MS = 3000;

/** Redis stopped answering while the worker was stopping: it left without finishing. */
export class LeftWithoutRedisError extends QueueConnectionError {
  override name = 'LeftWithoutRedisError';
}

/**
 * Waits for `signingOff` (rows in flight finished, the runners closed, the worker's presence
 * removed). All of it needs Redis, so when Redis stops answering the worker leaves at once
 * instead of waiting for it forever: its rows stay in flight in Redis and another worker
 * recovers them later.
 */
async function unlessRedisIsGone(connection: QueueConnection, signingOff: Promise<void>, runners: AppRunner[]): Promise<void> {
  const probing = new AbortController();
  const closing = signingOff.then(() => undefined);
  closing.catch(() => {}); // once the worker left without Redis, a late failure here is no news
  const gone = connection.unreachableFor(REDIS_GONE_MS, probing.signal);
  const reason = await Promise.race([closing, gone]).finally(() => probing.abort());
  if (reason === undefined) return;
  const left = sum(runners, 'active');
  for (const runner of runners) void runner.close(true).catch(() => {});
  throw new LeftWithoutRedisError(
    `Redis at ${connection.displayUrl} does not answer (${reason}); stopped without it` +
      (left > 0 ? `: ${left} rows in flight are left to other workers, which recover them once Redis is back` : ''),
  );
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

function sum(runners: AppRunner[], field: 'succeeded' | 'failed' | 'active'): number {
  return runners.reduce((total, runner) => total + runner[field], 0);
}
