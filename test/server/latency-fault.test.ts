/**
 * The `latencyMs` fault counts from the request's arrival: a server set to answer in 250 ms
 * answers in 250 ms, whatever part of them it spent reading the request and checking it,
 * instead of adding its own work on top. The clock and setTimeout are mocked once the request's
 * headers are in, so no assertion is about time.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { startServer } from '../../src/server/index.js';

const LATENCY_MS = 60_000;
/** How long the request body is held back after the headers (real time, before the mock). */
const BODY_HELD_MS = 200;

test('latencyMs counts from the request’s arrival: time spent receiving the request is part of it, not added to it', { timeout: 10_000 }, async (t) => {
  const server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0, faults: { latencyMs: LATENCY_MS } });
  t.after(() => server.close());
  const body = JSON.stringify({ inputs: { user_name: 'Ann', query: 'q' }, response_mode: 'blocking', user: 'u' });
  let answered = false;
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${server.baseURL}/workflows/run`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
    // The headers arrive now; the body only after BODY_HELD_MS of real time.
    void sleep(BODY_HELD_MS).then(() => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
      req.end(body);
    });
  });
  // Wait (real time, by polling) until the server has the whole request and the run is waiting out its latency.
  while (server.activeRuns === 0) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(answered, false, 'the run waits for its latency');
  // Less than the latency is left: the BODY_HELD_MS of reading the request counted towards it.
  t.mock.timers.tick(LATENCY_MS - BODY_HELD_MS / 2);
  const { status, text } = await response;
  assert.equal(status, 200);
  assert.equal((JSON.parse(text) as { data: { outputs: { result: string } } }).data.outputs.result, 'Ann asked (English): q');
});
