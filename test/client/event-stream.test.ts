import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DifyError, StreamEndedError } from '../../src/index.js';
import { EventStream, parseEvent, type ConnectionObserver } from '../../src/client/event-stream.js';
import type { OpenResponse } from '../../src/client/transport.js';
import { streamOf } from '../helpers/fake-fetch.js';

const PROGRESS = { taskId: 't', workflowRunId: 'r', lastEvent: undefined, eventCount: 0 };
const enc = (s: string) => new TextEncoder().encode(s);

function recorder(): ConnectionObserver & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    opened: () => log.push('opened'),
    readStarted: () => log.push('read'),
    readEnded: (gotBytes) => log.push(gotBytes ? 'bytes' : 'end'),
    ping: () => log.push('ping'),
  };
}

function opened(body: ReadableStream<Uint8Array>, onAbort?: () => void): (signal: AbortSignal) => Promise<OpenResponse> {
  return async () => {
    const controller = new AbortController();
    if (onAbort) controller.signal.addEventListener('abort', onAbort);
    return { response: new Response(body), controller, release: () => {}, attempts: 2 };
  };
}

describe('EventStream (the connection layer)', () => {
  test('hands back the messages each network chunk completed, pings to the observer', async () => {
    const observer = recorder();
    const stream = new EventStream(opened(streamOf([enc('event: ping\n\ndata: {"a":'), enc('1}\n\n')])), observer, () => PROGRESS);
    assert.deepEqual(await stream.read(), { messages: [], ended: false });
    // 'opened' comes with the response headers, before anything is read.
    assert.deepEqual(await stream.read(), { messages: [{ event: undefined, data: '{"a":1}' }], ended: false });
    assert.deepEqual(await stream.read(), { messages: [], ended: true });
    assert.equal(stream.attempts, 2);
    assert.deepEqual(observer.log, ['opened', 'read', 'bytes', 'ping', 'read', 'bytes', 'read', 'end']);
  });

  test('abort(reason): the first reason is what reads throw, and the connection is dropped', async () => {
    let dropped = false;
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (source = c) }); // never sends
    const drop = () => {
      dropped = true;
      source.error(new Error('aborted')); // as fetch does to a body whose request is aborted
    };
    const stream = new EventStream(opened(body, drop), recorder(), () => PROGRESS);
    const reading = stream.read().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 10));
    const first = new Error('first');
    stream.abort(first);
    stream.abort(new Error('second'));
    assert.equal(await reading, first);
    assert.equal(stream.abortReason, first);
    assert.ok(dropped);
  });

  test('a connection that fails mid-body is StreamEndedError with the progress', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc('data: {}\n\n'));
      },
      pull(c) {
        c.error(new Error('socket hang up'));
      },
    });
    const stream = new EventStream(opened(body), recorder(), () => PROGRESS);
    await stream.read();
    const error = await stream.read().catch((e: unknown) => e);
    assert.ok(error instanceof StreamEndedError);
    assert.match(error.message, /the connection failed: socket hang up/);
    assert.equal(error.workflowRunId, 'r');
  });
});

describe('parseEvent', () => {
  test('the name comes from the JSON, else the SSE event field, else "message"', () => {
    assert.equal(parseEvent({ event: 'x', data: '{"event":"node_started"}' }, false, () => PROGRESS).name, 'node_started');
    assert.equal(parseEvent({ event: 'custom', data: '{}' }, false, () => PROGRESS).name, 'custom');
    assert.equal(parseEvent({ event: undefined, data: '{}' }, false, () => PROGRESS).name, 'message');
  });

  test('a torn frame at the end is a dropped connection; mid-stream it is a server fault', () => {
    assert.throws(() => parseEvent({ event: undefined, data: '{"ev' }, true, () => PROGRESS), StreamEndedError);
    assert.throws(
      () => parseEvent({ event: undefined, data: '{"ev' }, false, () => PROGRESS),
      (e: unknown) => e instanceof DifyError && !(e instanceof StreamEndedError) && /not JSON/.test(e.message),
    );
    assert.throws(() => parseEvent({ event: undefined, data: '[1]' }, false, () => PROGRESS), /not a JSON object/);
  });
});
