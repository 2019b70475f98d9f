/** Dify's own npm SDK (`dify-client`) against the local server: what works with Dify works here. */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { CompletionClient } from 'dify-client';
import { startServer, type RunningServer } from '../../src/server/index.js';

/** `runWorkflow` ships in the package's JavaScript but not in its type declarations. */
interface WorkflowCapable {
  runWorkflow(inputs: Record<string, unknown>, user: string, stream?: boolean): Promise<{ status: number; data: unknown }>;
  getApplicationParameters(user: string): Promise<{ data: { user_input_form: unknown[] } }>;
}

let server: RunningServer;
let client: WorkflowCapable;
before(async () => {
  // axios honours proxy variables; this traffic must stay on loopback.
  for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy']) delete process.env[name];
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
  client = new CompletionClient(server.apiKey, server.baseURL) as unknown as WorkflowCapable;
});
after(() => server.close());

test('parameters and a blocking run', async () => {
  const parameters = await client.getApplicationParameters('sdk-user');
  assert.equal(parameters.data.user_input_form.length, 3);
  const response = await client.runWorkflow({ review: 'Arrived quickly, works great', rating: 5 }, 'sdk-user');
  assert.equal(response.status, 200);
  const body = response.data as { workflow_run_id: string; task_id: string; data: { status: string; outputs: { sentiment: string } } };
  assert.equal(body.data.status, 'succeeded');
  assert.equal(body.data.outputs.sentiment, 'positive');
  assert.notEqual(body.task_id, body.workflow_run_id);
});

test('a streaming run, read the way the package hands it over (an axios stream)', async () => {
  const response = await client.runWorkflow({ review: 'Broken and late', rating: 1 }, 'sdk-user', true);
  assert.equal(response.status, 200);
  let text = '';
  for await (const chunk of response.data as Readable) text += String(chunk);
  const events = text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => JSON.parse(frame.slice(6)) as { event: string; data: { status?: string } });
  assert.equal(events[0]!.event, 'workflow_started');
  assert.equal(events.at(-1)!.event, 'workflow_finished');
  assert.equal(events.at(-1)!.data.status, 'succeeded');
});

test('errors arrive as Dify envelopes the package exposes through axios', async () => {
  const bad = new CompletionClient('app-wrong', server.baseURL) as unknown as WorkflowCapable;
  await assert.rejects(bad.runWorkflow({ review: 'x', rating: 3 }, 'sdk-user'), (error: { response: { status: number; data: unknown } }) => {
    assert.equal(error.response.status, 401);
    assert.deepEqual(error.response.data, { code: 'unauthorized', message: 'Access token is invalid', status: 401 });
    return true;
  });
});
