import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DifyClient, DifyStreamError, StreamEndedError, type WorkflowStream } from '../../src/index.js';
import { everyChunking, randomChunks, seededRandom } from '../helpers/chunking.js';
import { sseFetch } from '../helpers/fake-fetch.js';
import { finishedRun } from '../helpers/script-server.js';
import { SSE_FIXTURES, type SSEFixture } from './sse-fixtures.js';

interface Observed {
  events: string[];
  pings: number;
  error: unknown;
  text: string | undefined;
  status: string | undefined;
  outputs: unknown;
  stream: WorkflowStream;
}

async function observe(chunks: Uint8Array[]): Promise<Observed> {
  const dify = new DifyClient({ apiKey: 'app-test', baseURL: 'http://127.0.0.1:1/v1', fetch: sseFetch(chunks) });
  const stream = dify.workflows.stream({ inputs: {}, user: 'u1' });
  const events: string[] = [];
  let error: unknown;
  try {
    for await (const event of stream) events.push(event.event === 'unknown' ? `unknown:${event.name}` : event.event);
  } catch (caught) {
    error = caught;
  }
  let text: string | undefined;
  let status: string | undefined;
  let outputs: unknown;
  if (error === undefined) {
    text = await stream.text();
    const result = await stream.finalResult();
    status = result.data.status;
    outputs = result.data.outputs;
  }
  return { events, pings: stream.pingCount, error, text, status, outputs, stream };
}

function check(fixture: SSEFixture, observed: Observed, label: string): void {
  assert.deepEqual(observed.events, fixture.events, `${label}: events`);
  assert.equal(observed.pings, fixture.pings, `${label}: pings`);
  const outcome = fixture.outcome;
  switch (outcome.kind) {
    case 'finished':
      assert.equal(observed.error, undefined, `${label}: unexpected error ${String(observed.error)}`);
      assert.equal(observed.text, fixture.text, `${label}: text`);
      assert.equal(observed.status, outcome.status, `${label}: status`);
      assert.deepEqual(observed.outputs, outcome.outputs, `${label}: outputs`);
      break;
    case 'paused':
      assert.equal(observed.error, undefined, `${label}: unexpected error ${String(observed.error)}`);
      assert.equal(observed.status, 'paused', `${label}: status`);
      break;
    case 'stream-error': {
      assert.ok(observed.error instanceof DifyStreamError, `${label}: expected DifyStreamError, got ${String(observed.error)}`);
      assert.equal(observed.error.message, outcome.message, `${label}: message`);
      assert.equal(observed.error.code, outcome.code, `${label}: code`);
      assert.equal(observed.error.status, outcome.status, `${label}: status`);
      break;
    }
    case 'ended':
      assert.ok(observed.error instanceof StreamEndedError, `${label}: expected StreamEndedError, got ${String(observed.error)}`);
      assert.equal(observed.error.workflowRunId, outcome.workflowRunId, `${label}: run id`);
      assert.equal(observed.error.taskId, outcome.taskId, `${label}: task id`);
      assert.equal(observed.stream.workflowRunId, outcome.workflowRunId);
      break;
  }
}

describe('SSE conformance: every fixture in every chunking', () => {
  for (const fixture of SSE_FIXTURES) {
    test(fixture.name, async () => {
      const bytes = new TextEncoder().encode(fixture.body);
      let count = 0;
      for (const chunking of everyChunking(bytes)) {
        check(fixture, await observe(chunking.chunks), `${fixture.name} [${chunking.name}]`);
        count++;
      }
      assert.ok(count > bytes.length, 'every split point was tried');
    });
  }
});

describe('WorkflowStream ids and helpers', () => {
  test('taskId and workflowRunId are known as soon as the first event arrives', async () => {
    const body = new TextEncoder().encode(SSE_FIXTURES[0]!.body);
    const dify = new DifyClient({ apiKey: 'app-test', baseURL: 'http://x/v1', fetch: sseFetch([body]) });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u1' });
    assert.equal(stream.taskId, undefined);
    for await (const event of stream) {
      assert.equal(event.event, 'workflow_started');
      assert.equal(stream.taskId, 'c9e1d2f0-0002-4000-8000-000000000002');
      assert.equal(stream.workflowRunId, 'b7f6a3c2-0001-4000-8000-000000000001');
      break;
    }
  });

  test('finalResult() and text() consume the stream when nobody iterates it', async () => {
    const body = new TextEncoder().encode(SSE_FIXTURES[0]!.body);
    const dify = new DifyClient({ apiKey: 'app-test', baseURL: 'http://x/v1', fetch: sseFetch([body]) });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u1' });
    const [result, text] = await Promise.all([stream.finalResult(), stream.text()]);
    assert.equal(result.workflow_run_id, 'b7f6a3c2-0001-4000-8000-000000000001');
    assert.equal(result.task_id, 'c9e1d2f0-0002-4000-8000-000000000002');
    assert.deepEqual(result.data.outputs, { answer: 'Hello' });
    assert.equal(text, 'Hello');
    assert.throws(() => stream[Symbol.asyncIterator](), /already being consumed/);
  });

  test('text() of a long stream: every chunk in order, and text_replace replaces all before it', async () => {
    const data = (event: string, fields: Record<string, unknown>) => `data: ${JSON.stringify({ event, task_id: 't', workflow_run_id: 'r', data: fields })}\n\n`;
    const finished = data('workflow_finished', finishedRun('r'));
    const texts = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${from + i}✓ `);
    const textOf = async (frames: string[]) => {
      const body = new TextEncoder().encode(frames.join(''));
      const dify = new DifyClient({ apiKey: 'app-test', baseURL: 'http://x/v1', fetch: sseFetch(randomChunks(body, seededRandom(7), 1, 4096)) });
      return dify.workflows.stream({ inputs: {}, user: 'u1' }).text();
    };
    const chunks = (list: string[]) => list.map((text) => data('text_chunk', { text }));
    assert.equal(await textOf([...chunks(texts(0, 2000)), finished]), texts(0, 2000).join(''));
    const replaced = [...chunks(texts(0, 700)), data('text_replace', { text: 'R|' }), ...chunks(texts(700, 1300)), finished];
    assert.equal(await textOf(replaced), `R|${texts(700, 1300).join('')}`);
  });

  test('breaking out of the loop rejects finalResult() as aborted and releases the body', async () => {
    let cancelled = false;
    const body = new TextEncoder().encode(SSE_FIXTURES[0]!.body);
    const dify = new DifyClient({
      apiKey: 'app-test',
      baseURL: 'http://x/v1',
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(body.subarray(0, 300));
            },
            cancel() {
              cancelled = true;
            },
          }),
        ),
    });
    const stream = dify.workflows.stream({ inputs: {}, user: 'u1' });
    for await (const _event of stream) break;
    await assert.rejects(stream.finalResult(), { name: 'APIUserAbortError' });
    assert.ok(cancelled, 'the response body was cancelled');
  });
});
