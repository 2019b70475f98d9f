import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DifyError, StreamEndedError } from '../../src/index.js';
import { EventStream, eventName, parseEvent, type ConnectionObserver } from '../../src/client/event-stream.js';
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
    event: (name, raw) => log.push(`event ${name} ${JSON.stringify(raw)}`),
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
  test('hands the observer each event a network chunk completed, parsed, and the pings', async () => {
    const observer = recorder();
    const chunks = [enc('event: ping\n\ndata: {"a":'), enc('1}\n\nevent: custom\ndata: {"event":"x"}\n\n'), enc('data: {"b":2}')];
    const stream = new EventStream(opened(streamOf(chunks)), observer, () => PROGRESS);
    assert.equal(await stream.read(), false);
    assert.equal(await stream.read(), false);
    assert.equal(await stream.read(), false);
    // The end of the body delivers an event without its blank line.
    assert.equal(await stream.read(), true);
    assert.equal(stream.attempts, 2);
    // 'opened' comes with the response headers, before anything is read.
    assert.deepEqual(observer.log, [
      'opened',
      'read',
      'bytes',
      'ping',
      'read',
      'bytes',
      'event message {"a":1}',
      'event x {"event":"x"}',
      'read',
      'bytes',
      'read',
      'end',
      'event message {"b":2}',
    ]);
  });

  test('once closed (the run ended) the rest of the chunk is not parsed or handed on', async () => {
    const observer = recorder();
    const chunk = enc('data: {"event":"workflow_finished"}\n\ndata: not json\n\ndata: {"after":1}\n\n');
    const holder: { stream?: EventStream } = {};
    const closeOnEvent = (name: string) => {
      observer.log.push(name);
      holder.stream!.close(false);
    };
    const stream = new EventStream(opened(streamOf([chunk])), { ...observer, event: closeOnEvent }, () => PROGRESS);
    holder.stream = stream;
    assert.equal(await stream.read(), false);
    assert.deepEqual(observer.log.slice(-1), ['workflow_finished']);
  });

  test('an event the observer refuses ends the read with its error, after the events before it', async () => {
    const log: string[] = [];
    const refuse = new Error('refused');
    const refuseBad = (name: string) => {
      log.push(name);
      if (name === 'bad') throw refuse;
    };
    const observer = { ...recorder(), event: refuseBad };
    const stream = new EventStream(
      opened(streamOf([enc('data: {"event":"a"}\n\ndata: {"event":"bad"}\n\ndata: {"event":"c"}\n\n')])),
      observer,
      () => PROGRESS,
    );
    assert.equal(await stream.read().catch((e: unknown) => e), refuse);
    assert.deepEqual(log, ['a', 'bad']);
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
    assert.equal(
      eventName(
        parseEvent('{"event":"node_started"}', false, () => PROGRESS),
        'x',
      ),
      'node_started',
    );
    assert.equal(
      eventName(
        parseEvent('{}', false, () => PROGRESS),
        'custom',
      ),
      'custom',
    );
    assert.equal(
      eventName(
        parseEvent('{"event":3}', false, () => PROGRESS),
        undefined,
      ),
      'message',
    );
  });

  test('a torn frame at the end is a dropped connection; mid-stream it is a server fault', () => {
    assert.throws(() => parseEvent('{"ev', true, () => PROGRESS), StreamEndedError);
    assert.throws(
      () => parseEvent('{"ev', false, () => PROGRESS),
      (e: unknown) => e instanceof DifyError && !(e instanceof StreamEndedError) && /not JSON/.test(e.message),
    );
    assert.throws(() => parseEvent('[1]', false, () => PROGRESS), /not a JSON object/);
  });
});
