/**
 * Local server benchmarks (issue 3). The server runs as its own process (`difyrun serve` from
 * dist/), the load comes from this process, both on 127.0.0.1: the server must not be the
 * bottleneck of the batch benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, Agent } from 'node:http';
import autocannon from 'autocannon';
import type { BenchResult } from './report.js';
import { CLI } from './cli.js';

const fmt = (value: number, digits = 1) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function serve(workflow: string, extra: string[] = []): Promise<{ baseURL: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--workflow', workflow, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    const match = /DIFY_API_BASE_URL=(\S+)/.exec(out);
    if (match) return { baseURL: match[1]!, child };
  }
  throw new Error(`difyrun serve did not start: ${out}`);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function benchServerRuns(): Promise<BenchResult> {
  const { baseURL, child } = await serve('bench/workflows/trivial.yml');
  try {
    const table = ['| response mode | connections | runs/s (mean) | latency p50 | latency p99 | non-2xx |', '|---|---:|---:|---:|---:|---:|'];
    const rates: Record<string, number> = {};
    for (const mode of ['blocking', 'streaming'] as const) {
      const result = await autocannon({
        url: `${baseURL}/workflows/run`,
        method: 'POST',
        connections: 64,
        duration: 10,
        headers: { Authorization: 'Bearer app-local', 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: { user_name: 'Ann', query: 'What is item 1?', language: 'English' }, response_mode: mode, user: 'load' }),
      });
      rates[mode] = result.requests.average;
      table.push(`| ${mode} | 64 | ${fmt(result.requests.average, 0)} | ${result.latency.p50} ms | ${result.latency.p99} ms | ${result.non2xx} |`);
    }
    return {
      id: 'server-runs',
      title: 'server: trivial workflow runs per second under autocannon (c=64)',
      summary: `The local server executes **${fmt(rates.blocking!, 0)} blocking runs/s** of bench/workflows/trivial.yml (target ≥ 2,000: ${rates.blocking! >= 2000 ? 'met' : 'missed'}) and ${fmt(rates.streaming!, 0)} streaming runs/s, with autocannon at 64 connections in another process on the same 2-core machine (so the load generator takes a core of its own).`,
      table,
    };
  } finally {
    await stop(child);
  }
}

/**
 * 2,000 streams open at once, each streaming tokens at 10/s: how late do events arrive?
 * An event's delay is its arrival minus when it was due (the stream's first token + k × 100 ms).
 */
export async function benchServerStreams(): Promise<BenchResult> {
  const streams = Number(process.env.BENCH_STREAMS ?? 2000);
  const rate = 10;
  const { baseURL, child } = await serve('bench/workflows/stream.yml', ['--llm-rate', String(rate)]);
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const text = Array.from({ length: 150 }, (_, i) => `word${i}`).join(' '); // 150 tokens: 15 s per stream
  const delays: number[] = [];
  let open = 0;
  let maxOpen = 0;
  let finished = 0;
  let failed = 0;
  const started = performance.now();
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(
        `${baseURL}/workflows/run`,
        { method: 'POST', agent, headers: { Authorization: 'Bearer app-local', 'Content-Type': 'application/json' } },
        (res) => {
          open++;
          maxOpen = Math.max(maxOpen, open);
          let buffer = '';
          let first: number | undefined;
          let index = 0;
          let sawFinished = false;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = performance.now();
            buffer += chunk;
            const frames = buffer.split('\n\n');
            buffer = frames.pop()!;
            for (const frame of frames) {
              if (frame.startsWith('data: {"event":"workflow_finished"')) sawFinished = true;
              if (!frame.startsWith('data: {"event":"text_chunk"')) continue;
              first ??= now;
              delays.push(Math.max(0, now - (first + (index * 1000) / rate)));
              index++;
            }
          });
          res.on('end', () => {
            open--;
            if (sawFinished) finished++;
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(JSON.stringify({ inputs: { text }, response_mode: 'streaming', user: 'streams' }));
    });
  try {
    const all: Promise<void>[] = [];
    // Open them over ~2 s so the listen backlog is not the thing measured.
    for (let i = 0; i < streams; i++) {
      all.push(one());
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all(all);
    const wall = (performance.now() - started) / 1000;
    delays.sort((a, b) => a - b);
    const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))] ?? NaN;
    return {
      id: 'server-streams',
      title: `server: ${streams.toLocaleString('en-US')} concurrent open streams`,
      summary: `${maxOpen.toLocaleString('en-US')} streams were open at the same time (target 2,000: ${maxOpen >= 2000 && failed === 0 ? 'met' : 'missed'}), each streaming 150 tokens at ${rate}/s from the LLM stand-in; ${finished.toLocaleString('en-US')} finished, ${failed} failed. Event delay (arrival minus when the token was due, from the stream's first token): **p99 ${fmt(pct(99), 0)} ms**, p50 ${fmt(pct(50), 0)} ms, max ${fmt(delays.at(-1) ?? NaN, 0)} ms over ${delays.length.toLocaleString('en-US')} events; wall time ${fmt(wall)} s. Server and client share this 2-core machine.`,
      table: [
        '| streams open at once | events | delay p50 | delay p90 | delay p99 | max |',
        '|---:|---:|---:|---:|---:|---:|',
        `| ${maxOpen.toLocaleString('en-US')} | ${delays.length.toLocaleString('en-US')} | ${fmt(pct(50), 0)} ms | ${fmt(pct(90), 0)} ms | ${fmt(pct(99), 0)} ms | ${fmt(delays.at(-1) ?? NaN, 0)} ms |`,
      ],
    };
  } finally {
    agent.destroy();
    await stop(child);
  }
}
