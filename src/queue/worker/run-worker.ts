/**
 * `difyrun worker`: serves, from this host, every app in Redis whose key this host holds.
 * It looks for apps every 2 s (a submitter registers its app), announces itself so that a
 * submitter can tell whether anyone can run its rows, and on the first Ctrl-C stops taking
 * rows and finishes those in flight.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { QueueConnection } from '../connection.js';
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

  const discover = async () => {
    const apps = await redis.hgetall(keys.apps);
    for (const [appId, text] of Object.entries(apps)) {
      if (runners.has(appId)) continue;
      const app = JSON.parse(text) as AppRef;
      const apiKey = keyRing.keyFor(app.keyFingerprint);
      if (apiKey === undefined) {
        if (!skipped.has(appId)) io.log(`not serving ${app.baseURL} (key ${app.keyFingerprint}): no key with that fingerprint here; its rows are left to other workers`);
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
  let lastStatus = '';
  const status = () => {
    const all = [...runners.values()];
    const line = `rows: ${sum(all, 'succeeded')} succeeded, ${sum(all, 'failed')} failed, ${sum(all, 'active')} in flight`;
    if (line !== lastStatus && !tuning.quiet) io.log(line);
    lastStatus = line;
  };

  await heartbeat();
  await discover();
  const timers = [
    setInterval(() => void discover().catch((error: Error) => io.log(`cannot read the app list: ${error.message}`)), DISCOVER_MS),
    setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_MS),
    setInterval(status, STATUS_MS),
  ];
  try {
    await new Promise<void>((resolve) => io.interrupt.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    for (const timer of timers) clearInterval(timer);
    const inFlight = sum([...runners.values()], 'active');
    if (inFlight > 0) io.log(`stopping: finishing ${inFlight} rows in flight (Ctrl-C again to leave them to other workers)`);
    await Promise.all([...runners.values()].map((runner) => runner.close()));
    status();
    contexts.close();
    await redis.hdel(keys.workers, workerId).catch(() => {});
  }
}

function sum(runners: AppRunner[], field: 'succeeded' | 'failed' | 'active'): number {
  return runners.reduce((total, runner) => total + runner[field], 0);
}
