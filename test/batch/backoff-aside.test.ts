/**
 * Issue 17: a row that backs off (429, or an error that ran nothing) waits out of the
 * concurrency window, through its pacer, so its slot serves other rows meanwhile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DifyClient } from '../../src/index.js';
import { executeRow, type RowPacer } from '../../src/batch/execute/execute-row.js';
import { startServer } from '../../src/server/index.js';

test('backoffs go through the pacer’s waitAside, one per retry, and the rows still succeed once each', async () => {
  const server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0, faults: { seed: 3, rate429: 0.5 } });
  try {
    const client = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 0 });
    const waits: number[] = [];
    const pacer: RowPacer = {
      beforeAttempt: async () => {},
      afterAttempt: () => {},
      waitAside: async (ms) => void waits.push(ms),
    };
    const store = { posting: async () => {}, started: async () => {}, stopping: async () => {} };
    let retries = 0;
    for (let i = 0; i < 8; i++) {
      const row = { id: `r${i}`, user: `u${i}`, recordInputs: { id: `r${i}` }, inputs: async () => ({ user_name: 'Ann', query: 'q', language: 'English' }) };
      const config = {
        mode: 'streaming' as const,
        workflowId: undefined,
        timeoutMs: 10_000,
        streamIdleTimeoutMs: 10_000,
        maxRetries: 3,
        initialRetryDelayMs: 1000,
        maxRetryDelayMs: 8000,
        recoveryWaitMs: 5000,
      };
      const outcome = await executeRow(row, { client, config, signals: { stop: new AbortController().signal }, store, pacer });
      assert.equal(outcome.record?.status, 'success', JSON.stringify(outcome.record?.error));
      retries += outcome.record!.retry_count;
    }
    assert.ok(retries > 0, 'the seed gives some 429s');
    assert.equal(waits.length, retries, 'every backoff went through waitAside');
    assert.ok(
      waits.every((ms) => ms >= 750 && ms <= 8000),
      `backoff steps ${waits.join(', ')}`,
    );
    assert.equal(server.executedRuns, 8);
  } finally {
    await server.close();
  }
});
