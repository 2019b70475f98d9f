/**
 * Every name difyrun uses in Redis, in one place. Everything lives under `difyrun:`:
 *
 *   difyrun:apps                     hash appId → {baseURL, keyFingerprint}: the apps workers serve
 *   difyrun:workers                  hash workerId → {host, pid, keyFingerprints, seenAt}
 *   difyrun:stops                    pub/sub: a batch was stopped (workers re-read it at once)
 *   difyrun:generations              counter: each `difyrun batch --queue` invocation's generation
 *   difyrun:app-<appId>:…            the app's BullMQ queue (one job per row; global concurrency cap)
 *   difyrun:app:<appId>:window       the app's AIMD window, shared by every worker
 *   difyrun:app:<appId>:rate         the app's requests-per-minute bucket and Retry-After pause
 *   difyrun:batch:<batchId>          the batch: settings for workers, stop flag, submitter
 *   difyrun:batch:<batchId>:inflight hash rowId → the row's attempt (user, posted at, run id)
 *   difyrun:batch:<batchId>:outcomes stream of outcomes the submitter has not yet written
 *   difyrun:batch:<batchId>:done     hash rowId → the generation whose outcome was published
 *
 * API keys never appear here: an app is named by its base URL and a fingerprint of its key.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export const PREFIX = 'difyrun';

export interface AppRef {
  appId: string;
  baseURL: string;
  keyFingerprint: string;
}

/** A short, one-way fingerprint of an API key: enough to match a worker's key, useless to call Dify with. */
export function keyFingerprint(apiKey: string): string {
  return sha256(`difyrun-key-fingerprint\n${apiKey}`).slice(0, 16);
}

export function appRef(baseURL: string, apiKey: string): AppRef {
  const fingerprint = keyFingerprint(apiKey);
  const normalized = baseURL.replace(/\/+$/, '');
  return { appId: sha256(`${normalized}\n${fingerprint}`).slice(0, 16), baseURL: normalized, keyFingerprint: fingerprint };
}

/** A batch is its output file on the submitting host: the same command finds the same batch. */
export function batchIdFor(output: string, host = hostname()): string {
  return sha256(`${host}\n${resolve(output)}`).slice(0, 16);
}

/** BullMQ job ids: the batch, then the row id when it is plain, else a digest of it. */
export function jobIdFor(batchId: string, rowId: string): string {
  return `${batchId}-${/^[\w.-]{1,64}$/.test(rowId) ? rowId : `h${sha256(rowId).slice(0, 24)}`}`;
}

export const keys = {
  apps: `${PREFIX}:apps`,
  workers: `${PREFIX}:workers`,
  /** The last generation handed out, for every batch. */
  generations: `${PREFIX}:generations`,
  /** Pub/sub channel: the id of a batch that was just stopped. */
  stops: `${PREFIX}:stops`,
  queueName: (appId: string) => `app-${appId}`,
  window: (appId: string) => `${PREFIX}:app:${appId}:window`,
  rate: (appId: string) => `${PREFIX}:app:${appId}:rate`,
  batch: (batchId: string) => `${PREFIX}:batch:${batchId}`,
  inflight: (batchId: string) => `${PREFIX}:batch:${batchId}:inflight`,
  outcomes: (batchId: string) => `${PREFIX}:batch:${batchId}:outcomes`,
  done: (batchId: string) => `${PREFIX}:batch:${batchId}:done`,
};

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
