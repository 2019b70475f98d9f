/**
 * Issue 17 (client overhead): a stream that ended with its run's last event reads the end of
 * the body instead of cancelling it, so the connection is kept for the next request (and no
 * fetch abort is paid per run).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { DifyClient } from '../../src/index.js';

const RUN = '6f1c2a3b-0000-4000-8000-00000000000a';
const frame = (event: string, data: object) => `data: ${JSON.stringify({ event, workflow_run_id: RUN, task_id: 't', data })}\n\n`;
const finished = {
  id: RUN,
  workflow_id: 'w',
  status: 'succeeded',
  outputs: { a: 1 },
  error: null,
  elapsed_time: 0.1,
  total_tokens: 0,
  total_steps: 1,
  created_at: 1,
  finished_at: 1,
};

/**
 * fetch, with each response body passed through a stream that reports when its reader finished
 * with it (read to the end or cancelled): the next run starts only then, whatever the machine's
 * load. Undici frees the socket in the event-loop turn that delivered the body's end, so the wait
 * also lets that turn finish (setImmediate), an order of events rather than a time.
 */
function watchedFetch(): { fetch: typeof fetch; bodyDone: () => Promise<void> } {
  let done = Promise.resolve();
  const watched: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const reader = response.body!.getReader();
    let settle!: () => void;
    done = new Promise((resolve) => (settle = resolve));
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done: ended, value } = await reader.read();
        if (ended) {
          controller.close();
          settle();
        } else controller.enqueue(value);
      },
      async cancel(reason) {
        settle();
        await reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: watched, bodyDone: () => done.then(() => new Promise((resolve) => setImmediate(resolve))) };
}

test('consecutive streams that finished normally share one keep-alive connection', async () => {
  let connections = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ping\n\n');
    res.write(frame('workflow_started', { id: RUN }));
    // The last event and the end of the body in separate chunks, as over a real network.
    setTimeout(() => {
      res.write(frame('workflow_finished', finished));
      setTimeout(() => res.end(), 20);
    }, 10);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { fetch, bodyDone } = watchedFetch();
    const dify = new DifyClient({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, fetch });
    for (let i = 0; i < 3; i++) {
      const result = await dify.workflows.stream({ inputs: {}, user: 'u' }).finalResult();
      assert.equal(result.data.status, 'succeeded');
      // Once the client has read the body's end (or cancelled it, the bug: then the connection is gone).
      await bodyDone();
    }
    assert.equal(connections, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
