/**
 * The batch as workers see it (`difyrun:batch:<id>`): which app it runs on, the settings of
 * its rows, its generation (one per `difyrun batch` invocation) and, once set, why it stopped.
 * Written by the submitter; a worker sets `stop` when a row meets an auth or quota error.
 */
import type { Redis } from 'ioredis';
import type { BatchMode } from '../batch/index.js';
import { keys, type AppRef } from './keys.js';

export interface RowSettings {
  /** auto: each worker chooses per batch from the runs it sees, as a local batch does. */
  mode: BatchMode;
  workflowId: string | undefined;
  timeoutSeconds: number;
  streamIdleTimeoutSeconds: number;
  maxRetries: number;
  initialRetryDelaySeconds: number;
  maxRetryDelaySeconds: number;
}

export type StopKind = 'fatal' | 'quota' | 'interrupt';

export interface BatchStop {
  kind: StopKind;
  reason: string;
  /** The generation that stopped: rows queued by a later invocation are not affected. */
  generation: number;
}

export interface BatchRecord {
  batchId: string;
  app: AppRef;
  settings: RowSettings;
  generation: number;
  stop: BatchStop | undefined;
  /** Human-readable: which output file on which host the batch belongs to. */
  label: string;
}

/**
 * Starts a new generation of the batch (a new invocation): new settings, no stop. Generations
 * come from one counter for all batches, so they only grow, even after a finished batch's keys
 * were deleted: a worker's view of an earlier generation can never pass for the new one.
 */
export async function beginGeneration(redis: Redis, record: Omit<BatchRecord, 'generation' | 'stop'>): Promise<number> {
  const generation = await redis.incr(keys.generations);
  const key = keys.batch(record.batchId);
  await redis
    .multi()
    .hset(key, { generation, app: JSON.stringify(record.app), settings: JSON.stringify(record.settings), label: record.label })
    .hdel(key, 'stop')
    .exec();
  return generation;
}

export async function readBatch(redis: Redis, batchId: string): Promise<BatchRecord | undefined> {
  const fields = await redis.hgetall(keys.batch(batchId));
  if (fields.app === undefined || fields.settings === undefined) return undefined;
  return {
    batchId,
    app: JSON.parse(fields.app) as AppRef,
    settings: JSON.parse(fields.settings) as RowSettings,
    generation: Number(fields.generation ?? 0),
    stop: fields.stop === undefined ? undefined : (JSON.parse(fields.stop) as BatchStop),
    label: fields.label ?? batchId,
  };
}

/** Stops the batch unless it is already stopped (the first reason is the one reported), and tells every worker at once. */
export async function stopBatch(redis: Redis, batchId: string, stop: BatchStop): Promise<void> {
  await redis.hsetnx(keys.batch(batchId), 'stop', JSON.stringify(stop));
  await redis.publish(keys.stops, batchId);
}

/** Whether `stop` applies to a row queued in `generation`. */
export function stops(stop: BatchStop | undefined, generation: number): boolean {
  return stop !== undefined && stop.generation >= generation;
}
