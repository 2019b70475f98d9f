/**
 * One row as a BullMQ job on its app's queue, and the queue's options. A job carries the
 * row's resolved inputs (files were uploaded by the submitter) and never a key.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkflowInputs } from '../protocol/index.js';
import { keys, PREFIX } from './keys.js';

export interface RowJobData {
  /** Batch id. */
  b: string;
  /** The batch generation (invocation) that queued the row. */
  g: number;
  id: string;
  user: string;
  inputs: WorkflowInputs;
  /** The row as read, for the output's `inputs`. */
  record: Record<string, unknown>;
}

export const ROW_JOB_OPTIONS: JobsOptions = {
  // A processor only throws when Redis or the worker failed (a row's own errors are outcomes);
  // a retried job recovers the row's run, it never posts blindly.
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  // Kept until the submitter has written the outcome: while the job exists, queueing the row
  // again is a no-op, so a row cannot be queued twice around a submitter restart.
  removeOnComplete: false,
  removeOnFail: false,
};

export function appQueue(connection: Redis, appId: string): Queue<RowJobData> {
  const queue = new Queue<RowJobData>(keys.queueName(appId), { connection, prefix: PREFIX });
  // Connection trouble (BullMQ prints unheard errors): the connection reports outages, commands wait them out.
  queue.on('error', () => {});
  return queue;
}
