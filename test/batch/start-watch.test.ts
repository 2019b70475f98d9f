/** Noticing a streaming run the server dropped before starting it (FIFO queue evidence, or the timeout). */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { StartOrder, type RunNotStartedError } from '../../src/batch/execute/start-watch.js';

function watch(order: StartOrder, timeoutMs = 60_000) {
  const given: RunNotStartedError[] = [];
  const ticket = order.posted(timeoutMs, (error) => given.push(error));
  return { ticket, given };
}

test('a stream passed over by one POSTed later is given up after the grace', async () => {
  const order = new StartOrder({ graceMs: 30 });
  const first = watch(order);
  const second = watch(order);
  second.ticket.started();
  assert.equal(first.given.length, 0, 'not at once');
  await sleep(200);
  assert.deepEqual(first.given.map((error) => error.reason), ['overtaken']);
  assert.match(first.given[0]!.message, /never started the run \(only pings for \d+ s while runs sent after it started\)/);
  assert.equal(second.given.length, 0);
});

test('a stream that starts within the grace is kept; runs starting in order overtake nobody', async () => {
  const order = new StartOrder({ graceMs: 100 });
  const first = watch(order);
  const second = watch(order);
  const third = watch(order);
  second.ticket.started();
  first.ticket.started();
  third.ticket.started();
  await sleep(250);
  assert.deepEqual([first.given.length, second.given.length, third.given.length], [0, 0, 0]);
});

test('without any later start, the wait for the first event ends at the timeout; an ended attempt is never given up', async () => {
  const order = new StartOrder({ graceMs: 10 });
  const lone = watch(order, 50);
  const ended = watch(order, 50);
  ended.ticket.end();
  await sleep(200);
  assert.deepEqual(lone.given.map((error) => error.reason), ['timeout']);
  assert.equal(ended.given.length, 0);
});

test('once runs are seen to start quickly, a stream far slower than them is given up before the timeout', async () => {
  const order = new StartOrder({ graceMs: 10, slowAtLeastMs: 60 });
  for (let i = 0; i < 5; i++) watch(order).ticket.started(); // five runs that started at once
  const lone = watch(order, 60_000);
  await sleep(300);
  assert.deepEqual(lone.given.map((error) => error.reason), ['slow']);
  assert.match(lone.given[0]!.message, /far longer than runs here take to start/);
});

test('once runs were seen starting out of order, an overtaken stream gets twice that long', async () => {
  const order = new StartOrder({ graceMs: 1000 });
  assert.equal(order.overtakenGraceMs, 1000);
  const early = watch(order);
  const late = watch(order);
  late.ticket.started();
  await sleep(600);
  early.ticket.started(); // overtaken, but it did start: a legitimate reordering of at least 600 ms
  assert.equal(early.given.length, 0);
  assert.ok(order.overtakenGraceMs >= 1200, `grace ${order.overtakenGraceMs} ms`);
});
