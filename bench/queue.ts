/**
 * Scale-out (issue 14): rows/s of one batch with 1, 2 and 4 `difyrun worker` processes
 * against a fixed-latency server, with the local executor alongside. Redis is a private
 * redis-server on a free port; the CLI is the built one in dist/; the server runs in this
 * process. Every worker takes 16 rows at once and the app's cap is 64, so one worker can have
 * 16 rows in flight, two 32, four 64: the ideal rows/s doubles with each step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../src/server/index.js';
import type { BatchSummary } from '../src/batch/index.js';
import { keys } from '../src/queue/keys.js';
import { startRedis } from '../test/queue/redis-harness.js';
import { fmt, writeCsv } from './batch.js';
import type { BenchResult } from './report.js';
import { CLI } from './cli.js';

const ROWS = 2000;
const LATENCY_MS = 200;
const PER_WORKER = 16;
const CAP = 64;

function cli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function batch(server: RunningServer, args: string[]): Promise<BatchSummary> {
  const child = cli(['batch', ...args, '--mode', 'streaming', '--quiet', '--json'], { DIFY_API_KEY: server.apiKey, DIFY_API_BASE_URL: server.baseURL });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`difyrun batch exited ${code}`);
  return JSON.parse(stdout) as BatchSummary;
}

async function startWorkers(count: number, url: string, server: RunningServer, redis: Redis): Promise<ChildProcess[]> {
  const before = await redis.hlen(keys.workers);
  const workers = Array.from({ length: count }, () => cli(['worker', '--queue', url, '-c', String(PER_WORKER), '--quiet'], { DIFY_API_KEY: server.apiKey }));
  // Measured from the first row: wait until every worker has announced itself.
  while ((await redis.hlen(keys.workers)) < before + count) await new Promise((resolve) => setTimeout(resolve, 100));
  return workers;
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.once('close', resolve), worker.kill('SIGINT')))));
}

export async function benchQueueScaleOut(): Promise<BenchResult> {
  const redis = await startRedis();
  const server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0, faults: { latencyMs: LATENCY_MS } });
  const dir = mkdtempSync(join(tmpdir(), 'difyrun-bench-queue-'));
  const rows: { label: string; inFlight: number; summary: BatchSummary }[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    await writeCsv(join(dir, 'in.csv'), ROWS);
    const input = join(dir, 'in.csv');
    for (const local of [PER_WORKER, CAP]) {
      rows.push({
        label: `local executor, -c ${local}`,
        inFlight: local,
        summary: await batch(server, ['-i', input, '-o', join(dir, `local-${local}.jsonl`), '-c', String(local)]),
      });
    }
    for (const count of [1, 2, 4]) {
      const workers = await startWorkers(count, redis.url, server, redis.client);
      try {
        const summary = await batch(server, ['-i', input, '-o', join(dir, `queue-${count}.jsonl`), '-c', String(CAP), '--queue', redis.url]);
        rows.push({ label: `--queue, ${count} worker${count > 1 ? 's' : ''} × -c ${PER_WORKER}`, inFlight: Math.min(CAP, count * PER_WORKER), summary });
      } finally {
        await stopWorkers(workers);
      }
    }
  } finally {
    await server.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const load = `${fmt(loadBefore, 1)} before, ${fmt(loadavg()[0]!, 1)} after`;
  const rate = (label: string) => rows.find((row) => row.label.startsWith(label))!.summary.rows_per_s;
  const table = ['| run | rows in flight | rows/s | ideal (in flight / latency) | efficiency | latency p50 / p99 |', '|---|---:|---:|---:|---:|---|'];
  for (const { label, inFlight, summary } of rows) {
    const ideal = inFlight / (LATENCY_MS / 1000);
    table.push(
      `| ${label} | ${inFlight} | ${fmt(summary.rows_per_s)} | ${fmt(ideal, 0)} | ${fmt(summary.rows_per_s / ideal, 2)} | ${summary.latency_ms?.p50} / ${summary.latency_ms?.p99} ms |`,
    );
  }
  return {
    id: 'queue-scale-out',
    title: `queue: one batch on 1, 2 and 4 workers (${ROWS.toLocaleString('en-US')} rows, ${LATENCY_MS} ms server latency)`,
    summary:
      `Four workers reach **${fmt(rate('--queue, 4'))} rows/s**, ${fmt(rate('--queue, 4') / rate('--queue, 1'), 1)}× one worker; the local executor at the same 64 rows in flight reaches ${fmt(rate(`local executor, -c ${CAP}`))} rows/s. ` +
      `Every process (server, Redis, submitter, workers) shares one 2-core machine, so the numbers show the queue's overhead per row and how rows in flight add up across workers, not more CPU. ` +
      `The machine's 1-minute load average was ${load}: above 2, other work took CPU from this run and every number here is a lower bound. ` +
      `Rows/s is the batch's own measure, first row queued to last outcome written (each queued row costs about a dozen Redis round trips between submitter and worker).`,
    table,
  };
}
