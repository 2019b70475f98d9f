/**
 * `npm run bench -- real-dify` (issue 15): echo rows through the real Dify 1.13.2 kit with
 * difyrun's defaults (`--mode auto`) against each explicit mode, with one Celery worker and with
 * four. One worker is the shared kit on 127.0.0.1:5801 (others use it: never restarted); four is
 * a second kit instance (/tmp/real-dify-4w, its own ports, no sandbox) started here and stopped
 * after (warmed up first with a few rows in each mode: a fresh instance's first streaming runs
 * took 2.2 s against 0.13–0.3 s later). Skips with one line when the kit is absent. Row counts:
 * BENCH_REAL_DIFY_ROWS (50,200); worker counts: BENCH_REAL_DIFY_WORKERS (1,4).
 */
import os from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../src/server/index.js';
import { kitInstance, realDifyKit, SECOND_KIT, type KitApp } from '../test/real-dify/integration-kit.js';
import { fmt, runCli, tmp, type BatchRun } from './batch.js';
import type { BenchResult } from './report.js';

const MODES = [
  ['defaults (auto)', []],
  ['--mode streaming', ['--mode', 'streaming']],
  ['--mode blocking', ['--mode', 'blocking']],
] as const;

const FOUR_WORKERS = {
  ...SECOND_KIT,
  settings: { CELERY_WORKER_AMOUNT: '4', APP_MAX_ACTIVE_REQUESTS: '0' },
};

interface Measured {
  run: BatchRun;
  load: [number, number];
}

export async function benchRealDify(): Promise<BenchResult | string> {
  const shared = await realDifyKit();
  if (typeof shared === 'string') return `real-dify benchmark skipped: ${shared.replace(/^real-Dify suite skipped: /, '')}`;
  const sizes = (process.env.BENCH_REAL_DIFY_ROWS ?? '50,200').split(',').map(Number);
  const workerCounts = (process.env.BENCH_REAL_DIFY_WORKERS ?? '1,4').split(',').map(Number);
  const dir = tmp();
  const table = [
    '| workers | rows | mode | wall (process) | batch | rows/s | mode line of the summary | load avg (start → end) |',
    '|---:|---:|---|---:|---:|---:|---|---|',
  ];
  const verdicts: string[] = [];
  try {
    for (const rows of sizes)
      writeFileSync(join(dir, `echo-${rows}.csv`), `id,query\n${Array.from({ length: rows }, (_, i) => `e${i},echo row ${i}`).join('\n')}\n`);
    const measure = async (workers: number, app: KitApp) => {
      for (const rows of sizes) {
        const byMode = new Map<string, Measured>();
        for (const [name, args] of MODES) {
          const loadBefore = os.loadavg()[0]!;
          const run = await runCli(asServer(app), [
            '-i',
            join(dir, `echo-${rows}.csv`),
            '-o',
            join(dir, `out-${workers}-${rows}-${byMode.size}.jsonl`),
            ...args,
          ]);
          byMode.set(name, { run, load: [loadBefore, os.loadavg()[0]!] });
          const { summary } = run;
          const modeLine = `${summary.mode.streaming_rows} streaming, ${summary.mode.blocking_rows} blocking${summary.mode.requested === 'auto' ? ` (${summary.mode.reason.replace(/\|/g, '/')})` : ''}`;
          table.push(
            `| ${workers} | ${rows} | ${name} | ${fmt(run.wallMs / 1000)} s | ${fmt(summary.wall_time_s)} s | ${fmt(summary.rows_per_s)} | ${modeLine} | ${fmt(loadBefore)} → ${fmt(os.loadavg()[0]!)} |`,
          );
          if (summary.succeeded !== rows) throw new Error(`${name}: ${summary.succeeded} of ${rows} rows succeeded`);
        }
        const auto = byMode.get('defaults (auto)')!.run.wallMs;
        const faster = Math.min(byMode.get('--mode streaming')!.run.wallMs, byMode.get('--mode blocking')!.run.wallMs);
        verdicts.push(`${workers} worker${workers > 1 ? 's' : ''}, ${rows} rows: ${fmt(auto / faster, 2)}× (${auto / faster <= 1.3 ? 'met' : 'missed'})`);
      }
    };
    if (workerCounts.includes(1)) await measure(1, shared.app('difyrun-echo'));
    const four = workerCounts.includes(4) ? kitInstance(FOUR_WORKERS) : undefined;
    if (typeof four === 'string') verdicts.push(`4 workers not measured: ${four}`);
    else if (four) {
      try {
        const app = four.app('difyrun-echo');
        writeFileSync(join(dir, 'warm-up.csv'), `id,query\n${Array.from({ length: 10 }, (_, i) => `w${i},warm-up ${i}`).join('\n')}\n`);
        for (const [, args] of MODES.slice(1))
          await runCli(asServer(app), ['-i', join(dir, 'warm-up.csv'), '-o', join(dir, `warm-up-${args[1]}.jsonl`), ...args]);
        await measure(4, app);
      } finally {
        four.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: 'real-dify',
    title: 'real Dify 1.13.2: defaults vs each explicit mode, 1 and 4 Celery workers',
    summary: [
      `The kit's echo app (Start→End), difyrun's defaults otherwise (\`-c 5\`), each row count and mode run once, one after the other, through the built CLI. One worker: the shared kit on 127.0.0.1:5801; four: a second kit instance (${FOUR_WORKERS.root}, \`CELERY_WORKER_AMOUNT=4\`, no sandbox), started by the benchmark, warmed up with 10 rows in each mode, and stopped after.`,
      `Target: defaults within 1.3× of the faster explicit mode (process wall time): ${verdicts.join('; ')}.`,
      `**The machine is shared** (2 cores; other sessions, their tests and the shared kit itself run meanwhile): the load average is next to each number; read the ratios within one block, not the absolute times.`,
    ].join('\n\n'),
    table,
  };
}

/** runCli takes a server for its key and URL; a kit app has both (and counts no runs of its own). */
function asServer(app: KitApp): RunningServer {
  return { apiKey: app.apiKey, baseURL: app.baseURL, executedRuns: 0 } as unknown as RunningServer;
}
