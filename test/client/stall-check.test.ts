/**
 * Issue 17: a stream that goes silent after its run started (no bytes, not even the server's
 * pings) is checked on through run detail; a run that already ended ends the stream with its
 * result, long before the idle timeout. A run still going is waited for, never sent again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DifyClient, StreamIdleTimeoutError } from '../../src/index.js';
import { startServer } from '../../src/server/index.js';

const WORKFLOW = 'bench/workflows/trivial.yml';
const inputs = { user_name: 'Ann', query: 'What is item 1?', language: 'English' };

describe('stalled streams (SDK)', () => {
  test('a stream stalled after workflow_started ends with the finished run from run detail, not the idle timeout', async () => {
    const server = await startServer({ workflow: WORKFLOW, port: 0, faults: { stallRate: 1, latencyMs: 20 }, pingIntervalMs: 2000 });
    try {
      const dify = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL });
      const began = Date.now();
      const stream = dify.workflows.stream({ inputs, user: 'u1' }, { streamIdleTimeout: 60_000, stallCheckAfter: 300 });
      const events: string[] = [];
      for await (const event of stream) events.push(event.event);
      const result = await stream.finalResult();
      assert.deepEqual(events, ['workflow_started'], 'only the first event came through the stream');
      assert.equal(result.data.status, 'succeeded');
      assert.equal(result.workflow_run_id, stream.workflowRunId);
      assert.equal(result.task_id, stream.taskId);
      assert.ok(Object.keys(result.data.outputs ?? {}).length > 0, 'outputs from run detail');
      assert.equal(stream.resultFromRunDetail, true);
      assert.ok(Date.now() - began < 30_000, 'well before the 60 s idle timeout');
      assert.equal(server.executedRuns, 1);
    } finally {
      await server.close();
    }
  });

  test('a quiet stream whose run is still going keeps waiting: the run is checked again later, and the byte deadline still applies', async () => {
    const server = await startServer({ workflow: WORKFLOW, port: 0, faults: { stallRate: 1, latencyMs: 1500 }, pingIntervalMs: 2000 });
    try {
      const dify = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL });
      const stream = dify.workflows.stream({ inputs, user: 'u2' }, { streamIdleTimeout: 60_000, stallCheckAfter: 200 });
      const result = await stream.finalResult();
      assert.equal(result.data.status, 'succeeded', 'found once the run ended');
      assert.equal(stream.resultFromRunDetail, true);
      assert.equal(server.executedRuns, 1);

      const quietClient = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL, stallCheckAfter: 0 });
      const off = quietClient.workflows.stream({ inputs, user: 'u3' }, { streamIdleTimeout: 2500 });
      await assert.rejects(off.finalResult(), (error: unknown) => error instanceof StreamIdleTimeoutError && error.kind === 'bytes');
      assert.equal(off.resultFromRunDetail, false, 'stallCheckAfter: 0 (here for the whole client) turns the check off');
    } finally {
      await server.close();
    }
  });
});
