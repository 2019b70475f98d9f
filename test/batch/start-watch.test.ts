/** Watching a streaming POST until its run starts: the probe for a rejected row, and the --timeout bound. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { DifyClient } from '../../src/client/client.js';
import { RunNotStartedError, StartOrder, type StartProbe } from '../../src/batch/execute/start-watch.js';

const form = { user_input_form: [{ 'text-input': { variable: 'query', label: 'query', type: 'text-input' } }] };

function fakeClient() {
  const calls = { parameters: 0 };
  const client = { app: { parameters: async () => (calls.parameters++, form) } } as unknown as DifyClient;
  return { client, calls };
}

function watch(order: StartOrder, options: { timeoutMs?: number; answer?: Error | undefined; client?: DifyClient } = {}) {
  const given: Error[] = [];
  const asked: string[][] = [];
  const ask: StartProbe = async (variables) => {
    asked.push(variables.map((variable) => variable.variable));
    return options.answer;
  };
  const client = options.client ?? fakeClient().client;
  const ticket = order.posted(options.timeoutMs ?? 60_000, (error) => given.push(error), { client, ask });
  return { ticket, given, asked };
}

test('a silent stream is asked about once; the server’s rejection ends it with that error', async () => {
  const rejection = new Error('Invalid upload file');
  const silent = watch(new StartOrder({ probeAfterMs: 20 }), { answer: rejection });
  await sleep(300);
  assert.deepEqual(silent.asked, [['query']], 'asked once, with the app’s input form');
  assert.deepEqual(silent.given, [rejection]);
});

test('a stream whose run starts before the probe is never asked about nor given up', async () => {
  const started = watch(new StartOrder({ probeAfterMs: 50 }), { answer: new Error('never used'), timeoutMs: 100 });
  started.ticket.started();
  await sleep(300);
  assert.deepEqual(started.asked, []);
  assert.deepEqual(started.given, []);
});

test('when the probe learns nothing the stream waits on, and only the timeout ends it (not sent again)', async () => {
  const queued = watch(new StartOrder({ probeAfterMs: 10 }), { answer: undefined, timeoutMs: 400 });
  await sleep(150);
  assert.equal(queued.asked.length, 1);
  assert.deepEqual(queued.given, [], 'a merely queued run is not given up early');
  await sleep(500);
  const given: Error[] = queued.given;
  assert.equal(given.length, 1);
  assert.ok(given[0] instanceof RunNotStartedError);
  assert.match(given[0].message, /never started the run \(only pings for \d+ s\); it was not sent again, since it may still be queued/);
});

test('a rejection that arrives after the run started is ignored', async () => {
  const order = new StartOrder({ probeAfterMs: 10 });
  const given: Error[] = [];
  let answer: (error: Error) => void = () => undefined;
  const ticket = order.posted(60_000, (error) => given.push(error), { client: fakeClient().client, ask: () => new Promise((resolve) => (answer = resolve)) });
  await sleep(100);
  ticket.started();
  answer(new Error('too late'));
  await sleep(20);
  assert.deepEqual(given, []);
});

test('the input form is read once for the streams of a batch', async () => {
  const { client, calls } = fakeClient();
  const order = new StartOrder({ probeAfterMs: 10 });
  const streams = [watch(order, { client }), watch(order, { client }), watch(order, { client })];
  await sleep(150);
  assert.ok(streams.every((stream) => stream.asked.length === 1));
  assert.equal(calls.parameters, 1);
  for (const stream of streams) stream.ticket.end();
});

test('a timeout shorter than the probe delay: no probe, the timeout ends the stream', async () => {
  const short = watch(new StartOrder({ probeAfterMs: 1000 }), { answer: new Error('x'), timeoutMs: 50 });
  await sleep(200);
  assert.deepEqual(short.asked, []);
  assert.ok(short.given[0] instanceof RunNotStartedError);
});
