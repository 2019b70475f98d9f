/**
 * Benchmarks for issue 17's remaining targets: CLI start-up, `batch --local` memory, and
 * throughput under a steady fault mix. Each runs the built CLI (bench/cli.ts) as its own process.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { startServer, type FaultSpec } from '../src/server/index.js';
import { fmt, runCli, tmp, writeCsv, type BatchRun } from './batch.js';
import type { BenchResult } from './report.js';
import { CLI } from './cli.js';

const WORKFLOW = 'bench/workflows/trivial.yml';

/**
 * Median wall time, CPU time (user + sys, 10 ms resolution) and peak RSS of `difyrun <args>`
 * over `times` runs (GNU time reports CPU and RSS). CPU time moves far less than wall time when
 * the machine is shared.
 */
function measureStartup(args: string[], times: number, script = CLI, env: NodeJS.ProcessEnv = process.env): { ms: number; cpuMs: number; rssMb: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  const peaks: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const child = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...(script ? [script] : []), ...args], { encoding: 'utf8', env });
    walls.push(performance.now() - started);
    if (child.status !== 0) throw new Error(`difyrun ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
    const [rssKb, user, sys] = child.stderr.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number];
    peaks.push(rssKb / 1024);
    cpus.push((user + sys) * 1000);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { ms: median(walls), cpuMs: median(cpus), rssMb: median(peaks) };
}

/**
 * Node reads every certificate in NODE_EXTRA_CA_CERTS before running any JavaScript (Node 20
 * loads them eagerly): with this machine's bundle (/etc/ssl/certs/ca-certificates.crt, 144 certificates) that is
 * ~90 ms of CPU per process, more than Node's own start. So each command is measured twice: in
 * the environment as this machine sets it, and without that variable, as on most machines.
 */
const CA_VARIABLE = 'NODE_EXTRA_CA_CERTS';

export async function benchStartup(): Promise<BenchResult> {
  const withoutCa = { ...process.env };
  delete withoutCa[CA_VARIABLE];
  const caSet = process.env[CA_VARIABLE] !== undefined;
  const runs = (env: NodeJS.ProcessEnv) => ({
    version: measureStartup(['--version'], 11, undefined, env),
    help: measureStartup(['--help'], 11, undefined, env),
    bare: measureStartup(['-e', '0'], 11, '', env), // Node's own start-up: the floor
  });
  const plain = runs(withoutCa);
  const asSet = caSet ? runs(process.env) : undefined;
  const met = (m: ReturnType<typeof runs>) => Math.max(m.version.ms, m.help.ms) <= 80 && Math.max(m.version.rssMb, m.help.rssMb) <= 50;
  const verdict = (m: ReturnType<typeof runs>) =>
    `**${fmt(m.version.ms, 0)} ms / ${fmt(m.version.rssMb, 0)} MB** for --version, **${fmt(m.help.ms, 0)} ms / ${fmt(m.help.rssMb, 0)} MB** for --help, \`node -e 0\` ${fmt(m.bare.ms, 0)} ms (targets ≤ 80 ms and ≤ 50 MB: ${met(m) ? 'met' : 'missed'})`;
  const rows = (label: string, m: ReturnType<typeof runs>) =>
    (
      [
        ['difyrun --version', m.version],
        ['difyrun --help', m.help],
        ['node -e 0 (floor)', m.bare],
      ] as const
    ).map(([name, x]) => `| ${name} | ${label} | ${fmt(x.ms, 0)} ms | ${fmt(x.cpuMs, 0)} ms | ${fmt(x.rssMb, 0)} MB |`);
  return {
    id: 'cli-startup',
    title: 'CLI: start-up (`difyrun --version`, `difyrun --help`)',
    summary:
      `Median of 11 runs of the built CLI, process spawn to exit. Without ${CA_VARIABLE}: ${verdict(plain)}.` +
      (asSet ? ` With ${CA_VARIABLE} set as on this machine (${process.env[CA_VARIABLE]}): ${verdict(asSet)}.` : '') +
      ` CPU time above Node's own: +${fmt(plain.version.cpuMs - plain.bare.cpuMs, 0)} ms for --version, +${fmt(plain.help.cpuMs - plain.bare.cpuMs, 0)} ms for --help (load average ${loadavg()[0]!.toFixed(1)} at the start).`,
    table: [
      `| command | ${CA_VARIABLE} | wall time (median) | CPU user+sys (median) | peak RSS (median) |`,
      '|---|---|---:|---:|---:|',
      ...rows('unset', plain),
      ...(asSet ? rows('set', asSet) : []),
    ],
  };
}

export async function benchBatchLocalMemory(): Promise<BenchResult> {
  const dir = tmp();
  try {
    const sizes = [10_000, Number(process.env.BENCH_LOCAL_ROWS ?? 100_000)];
    const table = ['| input rows | peak RSS (client + in-process server) | wall time | rows/s |', '|---:|---:|---:|---:|'];
    const peaks: number[] = [];
    for (const rows of sizes) {
      await writeCsv(join(dir, `in-${rows}.csv`), rows);
      const run = await runCli(
        undefined,
        ['--local', WORKFLOW, '-i', join(dir, `in-${rows}.csv`), '-o', join(dir, `out-${rows}.jsonl`), '-c', '64'],
        join(dir, `local-${rows}`),
      );
      peaks.push(run.peakRssMb);
      table.push(`| ${rows.toLocaleString('en-US')} | ${fmt(run.peakRssMb, 0)} MB | ${fmt(run.wallMs / 1000, 1)} s | ${fmt(run.summary.rows_per_s)} |`);
    }
    const [small, large] = peaks as [number, number];
    const met = large <= 300 && large - small <= 20;
    return {
      id: 'batch-local-memory',
      title: `batch --local: memory for ${sizes[1]!.toLocaleString('en-US')} rows`,
      summary: `Peak RSS of the whole process (batch plus the in-process server and its run store) **${fmt(large, 0)} MB** for ${sizes[1]!.toLocaleString('en-US')} rows vs ${fmt(small, 0)} MB for 10,000 (targets ≤ 300 MB and flat with row count, taken as within 20 MB: ${met ? 'met' : 'missed'}).`,
      table,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Issue 17's steady fault mix, on a server that pings every 2 s. */
export const FAULT_MIX: FaultSpec = { seed: 17, latencyMs: 60, rate429: 0.08, rate500: 0.05, resetRate: 0.04, dropRate: 0.06, stallRate: 0.004 };

/** Issue 17's fault mix split into its kinds, each run alone (as the issue measured them). */
const FAULT_KINDS: [string, FaultSpec][] = [
  ['8% 429 too_many_requests', { rate429: 0.08 }],
  ['5% 500 + 4% connection resets', { rate500: 0.05, resetRate: 0.04 }],
  ['6% streams dropped mid-run', { dropRate: 0.06 }],
  ['0.4% stalled streams', { stallRate: 0.004 }],
];

/** One batch per fault kind (plus a fault-free one) on the same 2 s-ping server; BENCH_FAULT_KINDS picks some by index ("0,3"). */
export async function benchBatchFaultKinds(): Promise<BenchResult> {
  const rows = Number(process.env.BENCH_FAULT_ROWS ?? 2000);
  const picked = process.env.BENCH_FAULT_KINDS?.split(',').map(Number);
  const kinds = FAULT_KINDS.filter((_, index) => picked === undefined || picked.includes(index));
  const dir = tmp();
  await writeCsv(join(dir, 'in.csv'), rows);
  const table = [
    '| faults | succeeded | failed | retries | re-executions avoided | duplicate executions | wall time | rows/s (wall) | share of fault-free | load average (1 min) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let base = NaN;
  try {
    for (const [name, spec] of [['none (fault-free)', {}] as [string, FaultSpec], ...kinds]) {
      const server = await startServer({ workflow: WORKFLOW, port: 0, faults: { seed: 17, latencyMs: 60, ...spec }, pingIntervalMs: 2000 });
      try {
        const run = await runCli(
          server,
          ['-i', join(dir, 'in.csv'), '-o', join(dir, `${table.length}.jsonl`), '-c', '32', '--mode', 'streaming'],
          undefined,
          [0, 1],
        );
        const s = run.summary;
        const rate = (s.succeeded + s.failed) / (run.wallMs / 1000);
        if (Number.isNaN(base)) base = rate;
        table.push(
          `| ${name} | ${s.succeeded.toLocaleString('en-US')} | ${s.failed} | ${s.retries} | ${s.reexecutions_avoided} | ${s.duplicate_executions} | ${fmt(run.wallMs / 1000, 1)} s | ${fmt(rate)} | ${fmt(rate / base, 2)} | ${fmt(os.loadavg()[0]!, 1)} |`,
        );
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: 'batch-fault-kinds',
    title: `batch: throughput with one fault kind at a time (${rows.toLocaleString('en-US')} rows, 60 ms latency, concurrency 32)`,
    summary:
      'Each fault kind of the batch-faults mix alone, against a fault-free run on the same 2 s-ping server, as rows ended per second of the process wall clock. The machine is shared: the load average after each run is in the last column.',
    table,
  };
}

export async function benchBatchFaults(): Promise<BenchResult> {
  const rows = Number(process.env.BENCH_FAULT_ROWS ?? 10_000);
  const dir = tmp();
  await writeCsv(join(dir, 'in.csv'), rows);
  const runs: Record<string, BatchRun> = {};
  const loads: Record<string, number> = {};
  try {
    for (const [name, faults] of [
      ['fault-free', { latencyMs: 60 }],
      ['fault mix', FAULT_MIX],
    ] as const) {
      const server = await startServer({ workflow: WORKFLOW, port: 0, faults, pingIntervalMs: 2000 });
      try {
        // Streaming pinned: under load `auto` may pick blocking, where drops and stalls cannot happen.
        runs[name] = await runCli(server, ['-i', join(dir, 'in.csv'), '-o', join(dir, `${name}.jsonl`), '-c', '32', '--mode', 'streaming'], undefined, [0, 1]);
        loads[name] = os.loadavg()[0]!;
      } finally {
        await server.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Rows that ended (succeeded or failed for good) per second of the process's wall clock.
  const rate = (run: BatchRun) => (run.summary.succeeded + run.summary.failed) / (run.wallMs / 1000);
  const ratio = rate(runs['fault mix']!) / rate(runs['fault-free']!);
  const row = (name: string) => {
    const run = runs[name]!;
    return `| ${name} | ${run.summary.succeeded.toLocaleString('en-US')} | ${run.summary.failed} | ${run.summary.retries} | ${run.summary.reexecutions_avoided} | ${run.summary.duplicate_executions} | ${fmt(run.wallMs / 1000, 1)} s | ${fmt(rate(run))} | ${fmt(loads[name]!, 1)} |`;
  };
  return {
    id: 'batch-faults',
    title: `batch: throughput under a fault mix (${rows.toLocaleString('en-US')} rows, 60 ms latency, concurrency 32)`,
    summary: `With 8% 429 too_many_requests, 5% 500, 4% connection resets, 6% streams dropped mid-run and 0.4% stalled streams (the server pings every 2 s), the batch keeps **${fmt(ratio, 2)}** of its fault-free rows/s on the process wall clock (target ≥ 0.5: ${ratio >= 0.5 ? 'met' : 'missed'}).`,
    table: [
      '| run | succeeded | failed | retries | re-executions avoided | duplicate executions | wall time | rows/s (wall) | load average (1 min, after) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      row('fault-free'),
      row('fault mix'),
    ],
  };
}
