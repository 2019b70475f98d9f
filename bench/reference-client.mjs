/**
 * The least a client can do for batch-scheduling (bench/batch.ts): CONCURRENCY keep-alive
 * slots, each POSTing the next row (blocking) as soon as it has read the last answer, the first
 * window started 1 ms apart as difyrun starts it. No input file, no checks, no journal, no
 * output: its wall time is what this machine and this server allow. Plain JavaScript, so it
 * starts as fast as Node does (with the same NODE_EXTRA_CA_CERTS, if set).
 *
 *   DIFY_API_BASE_URL=… DIFY_API_KEY=… ROWS=4000 CONCURRENCY=64 node bench/reference-client.mjs
 *
 * CPU_MS_PER_ROW (default 0): after each answer, once the next POST is out, keep the main
 * thread busy this long, standing in for the work a real client does per row (batch-cycle).
 */
import http from 'node:http';

const url = new URL(`${process.env.DIFY_API_BASE_URL}/workflows/run`);
const rows = Number(process.env.ROWS);
const concurrency = Number(process.env.CONCURRENCY);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const cpuMsPerRow = Number(process.env.CPU_MS_PER_ROW ?? 0);
let next = 0;
let failed = 0;

function post(i) {
  const body = JSON.stringify({
    inputs: { user_name: `User ${i % 97}`, query: `What is item ${i}, really?`, language: i % 2 ? 'English' : 'Japanese' },
    response_mode: 'blocking',
    user: `difyrun-row${i}`,
  });
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${process.env.DIFY_API_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        if (response.statusCode !== 200) failed++;
        response.resume();
        response.on('end', () => {
          resolve();
          if (cpuMsPerRow > 0) setImmediate(busy);
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function busy() {
  const until = performance.now() + cpuMsPerRow;
  while (performance.now() < until);
}

async function slot() {
  while (next < rows) await post(next++);
}

const slots = [];
for (let i = 0; i < concurrency; i++) {
  if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  slots.push(slot());
}
await Promise.all(slots);
agent.destroy();
if (failed > 0) {
  console.error(`${failed} requests failed`);
  process.exit(1);
}
