/** Resume after a crash and Ctrl-C, in process: what is recovered first, what is recorded as stopped, what is said. */
import assert from 'node:assert/strict';
import { writeFileSync, existsSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { batchInProcess, defaultConfig, readOutput, reviewsCsv, tempDir } from '../helpers/batch-harness.js';
import { startHold, startRunAndHangUp } from '../helpers/streaming-run.js';

let server: RunningServer;
before(async () => {
  server = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0 });
});
after(() => server.close());

test('rows a crashed run left in flight are handled first, not after the rest of the file', async () => {
  const dir = tempDir();
  const input = join(dir, 'in.csv');
  const output = join(dir, 'out.jsonl');
  writeFileSync(input, reviewsCsv(6));
  writeFileSync(`${output}.journal`, `${JSON.stringify({ e: 'post', id: 'row00005', user: 'difyrun-row00005', at: Date.now() - 120_000 })}\n`);
  const result = await batchInProcess(server, defaultConfig(input, output, { concurrency: 1 }));
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(
    readOutput(output).map((row) => row.id),
    ['row00005', 'row00000', 'row00001', 'row00002', 'row00003', 'row00004'],
  );
  assert.equal(existsSync(`${output}.journal`), false);
});

test('Ctrl-C while no run is in flight: nothing is recorded as interrupted, and the summary does not claim runs were stopped', async () => {
  const dir = tempDir();
  const input = join(dir, 'in.csv');
  const output = join(dir, 'out.jsonl');
  writeFileSync(input, reviewsCsv(5));
  const interrupt = new AbortController();
  // --wait 600: after the first row, every row waits at the gate; none is in flight when Ctrl-C comes.
  const running = batchInProcess(server, defaultConfig(input, output, { waitSeconds: 600, concurrency: 5 }), { interrupt: interrupt.signal });
  const deadline = Date.now() + 20_000;
  while (readOutput(output).length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  interrupt.abort();
  const result = await running;
  assert.equal(result.exitCode, 130);
  assert.deepEqual(
    readOutput(output).map((row) => row.id),
    ['row00000'],
    'rows never sent are not recorded',
  );
  assert.equal(result.summary!.not_started, 4);
  assert.equal(result.summary!.stopped_reason, 'interrupted (Ctrl-C): no runs were in flight; run the same command again to resume');
});

test('a run difyrun asked to stop before a crash, that the server still calls running, is recorded as stopped on resume and not run again', async () => {
  // The run stays running on the server until the test ends (a held request), however slow the machine.
  const hold = await startHold();
  const slow = await startServer({ workflow: 'test/fixtures/workflows/held-request.yml', port: 0 });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, `id,url\nt1,${hold.url}\n`);
    const inputs = { url: hold.url };
    const runId = await startRunAndHangUp(slow.baseURL, slow.apiKey, inputs, 'difyrun-t1');
    const at = Date.now();
    writeFileSync(
      `${output}.journal`,
      [
        { e: 'post', id: 't1', user: 'difyrun-t1', at },
        { e: 'run', id: 't1', run: runId, task: 'task-t1', at },
        { e: 'stop', id: 't1', at },
      ]
        .map((entry) => JSON.stringify(entry))
        .join('\n') + '\n',
    );
    const executed = slow.executedRuns;
    const result = await batchInProcess(slow, defaultConfig(input, output, { timeoutSeconds: 120 }));
    const [row] = readOutput(output);
    assert.equal(row!.workflow_status, 'stopped');
    assert.equal(row!.workflow_run_id, runId);
    assert.equal((row!.error as { code: string }).code, 'stopped');
    assert.equal(slow.executedRuns, executed, 'not sent again');
    assert.equal(result.exitCode, 1);
  } finally {
    await slow.close();
    await hold.close();
  }
});

test('Ctrl-C during a blocking run: the run (which Dify cannot stop) is let finish and recorded, and the summary says so', async () => {
  const slow = await startServer({ workflow: 'examples/workflows/review-triage.yml', port: 0, faults: { latencyMs: 1500 } });
  try {
    const dir = tempDir();
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, reviewsCsv(3));
    const interrupt = new AbortController();
    const running = batchInProcess(slow, defaultConfig(input, output, { mode: 'blocking', concurrency: 1 }), { interrupt: interrupt.signal });
    const deadline = Date.now() + 20_000;
    while (slow.activeRuns < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt.abort();
    const result = await running;
    assert.equal(result.exitCode, 130);
    assert.deepEqual(
      readOutput(output).map((row) => [row.id, row.status]),
      [['row00000', 'success']],
    );
    assert.equal(result.summary!.stopped_reason, 'interrupted (Ctrl-C): 1 row in flight finished and recorded; run the same command again to resume');
    assert.equal(existsSync(`${output}.journal`), false, 'nothing left to recover');
  } finally {
    await slow.close();
  }
});

test('Ctrl-C, a stop the server ignores, the run finishes: recorded as finished, not claimed as stopped', async () => {
  const hold = await startHold();
  const slow = await startServer({ workflow: 'test/fixtures/workflows/held-request.yml', port: 0 });
  // In front of the server: answers every stop with success and forwards nothing (a stop that lost the race with the run's end).
  let stopAsked: () => void = () => {};
  const stopSeen = new Promise<void>((resolve) => (stopAsked = resolve));
  const upstream = new URL(slow.baseURL);
  const proxy = createServer((req, res) => {
    if (/\/workflows\/tasks\/[^/]+\/stop$/.test(req.url ?? '')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"result":"success"}');
      stopAsked();
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const dir = tempDir();
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, `id,url\nt1,${hold.url}\n`);
    const interrupt = new AbortController();
    const front = { apiKey: slow.apiKey, baseURL: `http://127.0.0.1:${(proxy.address() as { port: number }).port}/v1` };
    const running = batchInProcess(front, defaultConfig(input, output, { mode: 'streaming' }), { interrupt: interrupt.signal });
    const deadline = Date.now() + 20_000;
    while (slow.activeRuns < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    interrupt.abort();
    await stopSeen;
    hold.release('finished anyway');
    const result = await running;
    assert.deepEqual(
      readOutput(output).map((row) => [row.id, row.status, row.outputs]),
      [['t1', 'success', { body: 'finished anyway' }]],
    );
    assert.equal(result.summary!.stopped_reason, 'interrupted (Ctrl-C): 1 row in flight finished and recorded; run the same command again to resume');
  } finally {
    proxy.closeAllConnections();
    proxy.close();
    await slow.close();
    await hold.close();
  }
});
