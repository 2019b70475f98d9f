/**
 * The submitter's watch of a queued batch: a stop that a worker set (auth, app or quota error)
 * decides the exit code even when the last outcomes arrive before the watch's periodic check.
 * Workers set the stop before they publish the outcomes it causes, so it is always there to read.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { IdTable } from '../../src/batch/input/id-table.js';
import { DurableAppender } from '../../src/batch/record/durable-appender.js';
import { unsentOutcome, type OutcomeRecord } from '../../src/batch/record/outcome.js';
import { createProgress } from '../../src/batch/report/progress.js';
import { BatchStats } from '../../src/batch/report/summary.js';
import { beginGeneration, stopBatch } from '../../src/queue/batch-record.js';
import { OutcomeReader, publishOutcome } from '../../src/queue/outcome-stream.js';
import { appQueue } from '../../src/queue/row-job.js';
import { BatchWatch } from '../../src/queue/submit/batch-watch.js';
import { OutcomeSink } from '../../src/queue/submit/outcome-sink.js';
import { RowFeeder } from '../../src/queue/submit/row-feeder.js';
import { Serial } from '../../src/queue/submit/serial.js';
import { tempDir } from '../helpers/batch-harness.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const missing = redisMissing();
let redis: TestRedis;
before(async () => {
  if (!missing) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const APP = { appId: 'watch-app', baseURL: 'http://127.0.0.1:1/v1', keyFingerprint: 'f' };
const SETTINGS = {
  mode: 'streaming' as const,
  workflowId: undefined,
  timeoutSeconds: 5,
  streamIdleTimeoutSeconds: 5,
  maxRetries: 0,
  initialRetryDelaySeconds: 0,
  maxRetryDelaySeconds: 0,
};

/** The submitter's side of one batch, as submit-batch assembles it, with `rows` queued. */
async function submitterSide(client: Redis, batchId: string, rows: string[]) {
  const generation = await beginGeneration(client, { batchId, app: APP, settings: SETTINGS, label: 'test' });
  const queue = appQueue(client, APP.appId);
  const reader = new OutcomeReader(client.duplicate(), batchId);
  await reader.open();
  const output = await DurableAppender.open(join(tempDir('difyrun-watch-'), 'out.jsonl'), { bom: false });
  const stats = new BatchStats();
  const progress = createProgress(stats, { quiet: true, stream: process.stderr });
  const serial = new Serial();
  const sink = new OutcomeSink({ reader, output, ledger: new IdTable(), stats, progress, queue, batchId, serial });
  await sink.catchUp();
  for (const row of rows) sink.outstanding.add(row);
  const feeder = new RowFeeder(queue, sink, serial, 10);
  const logged: string[] = [];
  const watch = new BatchWatch({
    redis: client,
    batchId,
    generation,
    app: APP,
    sink,
    feeder,
    queue,
    serial,
    interrupt: new AbortController().signal,
    log: (line) => logged.push(line),
  });
  const close = async () => {
    await watch.close();
    await output.close();
    await reader.close();
    await queue.close();
  };
  return { generation, sink, stats, watch, logged, close };
}

function failedRow(id: string): OutcomeRecord {
  return { ...unsentOutcome(id, {}, { code: 'invalid_param', message: 'Workflow not published', http_status: 400 }), latency_ms: 5, attempts: 1 };
}

test('a stop set by a worker reaches the result even when every outcome arrives before the next periodic check', { skip: missing }, async () => {
  const side = await submitterSide(redis.client, 'watch-b1', ['r1', 'r2', 'r3']);
  try {
    // What two workers do within a few milliseconds: one meets the unpublished app on r1 and
    // stops the batch, then records r1; the other sees the stop and leaves r2 and r3 unstarted.
    await stopBatch(redis.client, 'watch-b1', { kind: 'fatal', reason: 'The workflow app is not published', generation: side.generation });
    await publishOutcome(redis.client, 'watch-b1', { kind: 'done', row: 'r1', generation: side.generation, outcome: failedRow('r1') });
    await publishOutcome(redis.client, 'watch-b1', { kind: 'not-started', row: 'r2', generation: side.generation });
    await publishOutcome(redis.client, 'watch-b1', { kind: 'not-started', row: 'r3', generation: side.generation });
    await side.watch.finished();
    assert.equal(side.watch.stopKind, 'fatal');
    assert.equal(side.watch.stopReason, 'The workflow app is not published');
    assert.ok(side.logged.includes('Stopping: The workflow app is not published'), side.logged.join('\n'));
    assert.equal(side.sink.notStarted, 2);
  } finally {
    await side.close();
  }
});

test('a stop of an earlier generation does not stop the batch run again', { skip: missing }, async () => {
  const earlier = await beginGeneration(redis.client, { batchId: 'watch-b2', app: APP, settings: SETTINGS, label: 'test' });
  const side = await submitterSide(redis.client, 'watch-b2', ['r1']);
  try {
    await stopBatch(redis.client, 'watch-b2', { kind: 'quota', reason: 'quota exhausted', generation: earlier });
    await publishOutcome(redis.client, 'watch-b2', {
      kind: 'done',
      row: 'r1',
      generation: side.generation,
      outcome: { ...failedRow('r1'), status: 'success', error: null },
    });
    await side.watch.finished();
    assert.equal(side.watch.stopKind, undefined);
  } finally {
    await side.close();
  }
});

test('a job removed after a stop just as its worker finished it counts as its outcome, not also as not started', { skip: missing }, async () => {
  const side = await submitterSide(redis.client, 'watch-b3', ['r1', 'r2']);
  try {
    // The outcome of r1 is on its way when the submitter, stopping, removes r1's finished job.
    side.sink.takeBack('r1');
    side.sink.takeBack('r2');
    assert.equal(side.sink.notStarted, 2);
    await publishOutcome(redis.client, 'watch-b3', { kind: 'done', row: 'r1', generation: side.generation, outcome: failedRow('r1') });
    await side.watch.finished();
    await side.watch.close();
    assert.equal(side.sink.notStarted, 1);
    assert.equal(side.stats.failed, 1);
    assert.equal(side.sink.outstanding.size, 0);
  } finally {
    await side.close();
  }
});
