/**
 * The pieces of Redis state every worker shares: the app's AIMD window and rate gate (one for
 * all workers, on Redis's clock), a row's in-flight record, and the outcome stream's
 * write-then-acknowledge contract.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { beginGeneration, stopBatch } from '../../src/queue/batch-record.js';
import { keys } from '../../src/queue/keys.js';
import { BatchContexts } from '../../src/queue/worker/batch-contexts.js';
import { GlobalRateGate } from '../../src/queue/limits/global-rate-gate.js';
import { GlobalWindow } from '../../src/queue/limits/global-window.js';
import { OutcomeReader, publishOutcome, type OutcomeMessage } from '../../src/queue/outcome-stream.js';
import { RedisRowState } from '../../src/queue/row-state.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const missing = redisMissing();
let redis: TestRedis;
/** Two connections: two workers. */
let a: Redis;
let b: Redis;

before(async () => {
  if (missing) return;
  redis = await startRedis();
  a = new Redis(redis.url);
  b = new Redis(redis.url);
});
after(async () => {
  a?.disconnect();
  b?.disconnect();
  await redis?.stop();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('shared state', { skip: missing }, () => {
  test('the window halves when a fifth of recent answers from any worker were refusals, and grows back on successes', async () => {
    await GlobalWindow.reset(a, 'w1', 16);
    const applied: number[] = [];
    const first = new GlobalWindow(a, 'w1', async (limit) => applied.push(limit));
    const second = new GlobalWindow(b, 'w1', async (limit) => applied.push(limit));
    const longAgo = Date.now() - 60_000;
    const settled = () => Promise.all([first.settled(), second.settled()]);
    for (let i = 0; i < 16; i++) (i % 2 ? first : second).onSuccess();
    await settled();
    // Three refusals are a stray proxy's; the fourth within the last 20 answers shrinks the one window.
    for (let i = 0; i < 3; i++) second.onOverloaded(Date.now());
    await settled();
    assert.equal(await a.hget(keys.window('w1'), 'limit'), '16');
    first.onOverloaded(Date.now());
    await settled();
    assert.equal(await a.hget(keys.window('w1'), 'limit'), '8');
    assert.equal(applied.at(-1), 8);
    // Refusals of requests sent before that decrease do not shrink it again.
    for (let i = 0; i < 5; i++) second.onOverloaded(longAgo);
    await settled();
    assert.equal(await a.hget(keys.window('w1'), 'limit'), '8');
    // Each success adds 1/limit: about one slot per window's worth of successes.
    for (let i = 0; i < 10; i++) first.onSuccess();
    await settled();
    assert.equal(Math.floor(Number(await a.hget(keys.window('w1'), 'limit'))), 9);
  });

  test('the rpm bucket is one bucket for every worker, and a Retry-After pause holds back all of them', async () => {
    // 1 rpm: a burst of one, then a minute per token.
    await GlobalRateGate.configure(a, 'g1', { rpm: 1, minSpacingMs: 0 });
    const controller = new AbortController();
    await new GlobalRateGate(a, 'g1').take(controller.signal);
    let passed = false;
    const other = new GlobalRateGate(b, 'g1').take(controller.signal).then(
      () => (passed = true),
      () => 'stopped',
    );
    await settle();
    assert.equal(passed, false, 'the token one worker took is gone for the other');
    controller.abort();
    assert.equal(await other, 'stopped');

    const open = new AbortController();
    await GlobalRateGate.configure(a, 'g2', { rpm: undefined, minSpacingMs: 0 });
    await new GlobalRateGate(b, 'g2').take(open.signal);
    await new GlobalRateGate(a, 'g2').pauseUntil(Date.now() + 60_000);
    const waiting = new GlobalRateGate(b, 'g2').take(open.signal).then(
      () => 'passed',
      () => 'stopped',
    );
    await settle();
    open.abort();
    assert.equal(await waiting, 'stopped', 'a pause set by one worker holds back another');
  });

  test('a row in flight: posted, its run id, a stop request; a new post keeps the earlier run id apart', async () => {
    const rows = new RedisRowState(a, 'b1');
    assert.equal(await rows.get('r1'), undefined);
    await rows.posting('r1', 'difyrun-r1', 1000);
    assert.deepEqual(await rows.get('r1'), {
      id: 'r1',
      user: 'difyrun-r1',
      at: 1000,
      runId: undefined,
      taskId: undefined,
      earlierRunIds: [],
      stopRequested: false,
    });
    await rows.started('r1', 'run-1', 'task-1');
    await rows.stopping('r1');
    assert.deepEqual(await new RedisRowState(b, 'b1').get('r1'), {
      id: 'r1',
      user: 'difyrun-r1',
      at: 1000,
      runId: 'run-1',
      taskId: 'task-1',
      earlierRunIds: [],
      stopRequested: true,
    });
    await rows.posting('r1', 'difyrun-r1', 2000);
    const again = await rows.get('r1');
    assert.equal(again?.runId, undefined);
    assert.deepEqual(again?.earlierRunIds, ['run-1']);
    // A run id for a row nobody posted is not recorded (its outcome already cleared it).
    await rows.started('r2', 'run-2', 'task-2');
    assert.equal(await rows.get('r2'), undefined);
    assert.deepEqual(await rows.ids(), ['r1']);
  });

  test('an outcome stays in Redis until acknowledged: a submitter that read it and died reads it again', async () => {
    const outcome = { id: 'r1', status: 'success' } as unknown as Extract<OutcomeMessage, { kind: 'done' }>['outcome'];
    await new RedisRowState(a, 'b2').posting('r1', 'difyrun-r1', 1);
    await publishOutcome(a, 'b2', { kind: 'done', row: 'r1', generation: 1, outcome });
    assert.equal(await a.hexists(keys.inflight('b2'), 'r1'), 0, 'the outcome and the end of the in-flight record go together');
    const reader = new OutcomeReader(b, 'b2');
    await reader.open();
    const read = await reader.read(10, 0);
    assert.deepEqual(
      read.map((entry) => entry.message.row),
      ['r1'],
    );
    // Killed before acknowledging: the next submitter reads it again.
    const next = new OutcomeReader(a, 'b2');
    await next.open();
    const again = await next.read(10, 0);
    assert.deepEqual(
      again.map((entry) => entry.streamId),
      read.map((entry) => entry.streamId),
    );
    await next.acknowledge(again.map((entry) => entry.streamId));
    assert.deepEqual(await new OutcomeReader(b, 'b2').read(10, 0), []);
    assert.equal(await a.xlen(keys.outcomes('b2')), 0);
  });

  test("rows of a batch that arrive together share one view of it, so the submitter's Ctrl-C reaches every one of them", async () => {
    const app = { appId: 'x', baseURL: 'http://127.0.0.1:1/v1', keyFingerprint: 'f' };
    const settings = {
      mode: 'streaming' as const,
      workflowId: undefined,
      timeoutSeconds: 5,
      streamIdleTimeoutSeconds: 5,
      maxRetries: 0,
      initialRetryDelaySeconds: 0,
      maxRetryDelaySeconds: 0,
    };
    const generation = await beginGeneration(a, { batchId: 'b3', app, settings, label: 'test' });
    const contexts = new BatchContexts(a, new Redis(redis.url));
    try {
      const batches = await Promise.all([1, 2, 3, 4].map(() => contexts.get('b3', generation)));
      assert.ok(batches.every((batch) => batch === batches[0]));
      const signals = batches.map((batch) => batch!.interruptSignal(generation));
      batches[0]!.active = signals.length; // rows in flight: the batch is re-read every second
      const stopped = Promise.all(signals.map((signal) => new Promise((resolve) => signal.addEventListener('abort', resolve))));
      await stopBatch(b, 'b3', { kind: 'interrupt', reason: 'test', generation });
      await stopped;
    } finally {
      contexts.close();
    }
  });
});
