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
    const dify = new DifyClient({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
    for (let i = 0; i < 3; i++) {
      const result = await dify.workflows.stream({ inputs: {}, user: 'u' }).finalResult();
      assert.equal(result.data.status, 'succeeded');
      await new Promise((resolve) => setTimeout(resolve, 60)); // the body's end arrives and is read
    }
    assert.equal(connections, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
