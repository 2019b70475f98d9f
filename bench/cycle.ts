/**
 * Where one row's cycle goes in batch-scheduling's setting (4,000 rows, 250 ms, C=64): each POST
 * seen from both ends. The batch process is traced by bench/cycle-trace.mjs (request created,
 * response ended, and the socket's local port); the server in this process notes when the same
 * socket's request arrived and its answer went out. Lined up per socket, in order, they split a
 * cycle into: client → server (the request's way there: the client's last steps, the loopback,
 * the server waking), the server's own time (latency, its timer, the graph), server → client
 * (the answer's way back and its parsing), and the client's turn to the next POST on that socket
 * (a keep-alive socket goes to whichever request is waiting: it is how long the socket sat idle).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServerResponse } from 'node:http';
import { startServer } from '../src/server/index.js';
import { distribution } from '../src/results/stats.js';
import { fmt, onServerRuns, runCli, runReference, tmp, writeCsv } from './batch.js';
import type { BenchResult } from './report.js';

const now = () => performance.timeOrigin + performance.now();

interface Span {
  start: number;
  end: number;
}

/** Spans grouped by socket port, each group in time order. */
function bySocket(lines: [string, Span][]): Map<string, Span[]> {
  const groups = new Map<string, Span[]>();
  for (const [port, span] of lines) (groups.get(port) ?? groups.set(port, []).get(port)!).push(span);
  for (const spans of groups.values()) spans.sort((a, b) => a.start - b.start);
  return groups;
}

interface CycleParts {
  there: number[];
  inServer: number[];
  back: number[];
  turn: number[];
  cycle: number[];
  paired: number;
  wallMs: number;
}

/** Runs `client` (a batch or the bare client, spawned with NODE_OPTIONS and CYCLE_TRACE_OUT as set here) and lines its requests up with the server's. */
async function traced(dir: string, name: string, client: () => Promise<{ wallMs: number }>): Promise<CycleParts> {
  const served: [string, Span][] = [];
  const arrivals = new WeakMap<ServerResponse, number>();
  const traceFile = join(dir, `${name}-trace.txt`);
  const previous = { options: process.env.NODE_OPTIONS, out: process.env.CYCLE_TRACE_OUT };
  process.env.NODE_OPTIONS = `${previous.options ?? ''} --import ${resolve('bench/cycle-trace.mjs')}`.trim();
  process.env.CYCLE_TRACE_OUT = traceFile;
  const stopWatching = onServerRuns(
    (_request, response) => arrivals.set(response, now()),
    (request, response) => {
      const start = arrivals.get(response);
      if (start !== undefined) served.push([String(request.socket.remotePort), { start, end: now() }]);
    },
  );
  let wallMs: number;
  try {
    ({ wallMs } = await client());
  } finally {
    stopWatching();
    restore('NODE_OPTIONS', previous.options);
    restore('CYCLE_TRACE_OUT', previous.out);
  }
  const sentBySocket = bySocket(
    readFileSync(traceFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [port, start, end] = line.split(' ');
        return [port!, { start: Number(start), end: Number(end) }];
      }),
  );
  const seenBySocket = bySocket(served);
  const parts: CycleParts = { there: [], inServer: [], back: [], turn: [], cycle: [], paired: 0, wallMs };
  for (const [port, sent] of sentBySocket) {
    const seen = seenBySocket.get(port);
    if (!seen || seen.length !== sent.length) continue;
    sent.forEach((request, i) => {
      const answer = seen[i]!;
      parts.paired++;
      parts.there.push(answer.start - request.start);
      parts.inServer.push(answer.end - answer.start);
      parts.back.push(request.end - answer.end);
      const next = sent[i + 1];
      if (next) {
        parts.turn.push(next.start - request.end);
        parts.cycle.push(next.start - request.start);
      }
    });
  }
  return parts;
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * Main-thread CPU a row added to the bare client: what difyrun's main thread spends a row beyond
 * the bare client's (user + system time of each main thread over a 4,000-row run, from
 * /proc/<pid>/task/<pid>/stat: 0.48 against 0.16 ms on 2026-12-02).
 */
const BUSY_MS = 0.3;

export async function benchBatchCycle(): Promise<BenchResult> {
  const rows = 4000;
  const concurrency = 64;
  const server = await startServer({ workflow: 'bench/workflows/trivial.yml', port: 0, faults: { latencyMs: 250 } });
  const dir = tmp();
  try {
    await writeCsv(join(dir, 'in.csv'), rows);
    const difyrun = await traced(dir, 'difyrun', () =>
      runCli(server, ['-i', join(dir, 'in.csv'), '-o', join(dir, 'out.jsonl'), '-c', String(concurrency)], undefined, [0], 'timeline'),
    );
    const bare = await traced(dir, 'bare', () => runReference(server, rows, concurrency));
    const busy = await traced(dir, 'busy', () => runReference(server, rows, concurrency, BUSY_MS));
    const cells = (values: number[]) => {
      const s = distribution(values)!;
      return `${fmt(s.mean, 2)} | ${fmt(s.p50, 2)} | ${fmt(s.p90, 2)}`;
    };
    const row = (name: string, key: keyof Omit<CycleParts, 'paired' | 'wallMs'>) =>
      `| ${name} | ${cells(difyrun[key])} | ${cells(bare[key])} | ${cells(busy[key])} |`;
    const over = (parts: CycleParts) => distribution(parts.cycle)!.mean - 250;
    return {
      id: 'batch-cycle',
      title: 'batch: where a row’s cycle goes (4,000 rows, 250 ms server latency, concurrency 64)',
      summary:
        `One batch as in batch-scheduling, then bench/reference-client.mjs (the bare client) on the same server, each POST lined up with the server's view of the same socket (${difyrun.paired.toLocaleString('en-US')} and ${bare.paired.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} requests; a socket the server saw differently is left out). ` +
        `A cycle (one POST to the next on a socket) is **${fmt(over(difyrun), 2)} ms** over the 250 ms latency for difyrun and ${fmt(over(bare), 2)} ms for the bare client: × 63 cycles, ${fmt((over(difyrun) * 63) / 1000, 2)} s and ${fmt((over(bare) * 63) / 1000, 2)} s of wall time. ` +
        `The third run is the bare client again, keeping its main thread busy ${BUSY_MS} ms after each answer (once the next POST is out), what difyrun's main thread spends on a row beyond the bare client's (0.48 against 0.16 ms, measured once from /proc): ${fmt(over(busy), 2)} ms over. ` +
        `Answers come in bursts (the server's timers fire on whole milliseconds), so each row's CPU delays the answers queued behind it: that is the way back's difference, not the network. ` +
        `The ways there and back are split on two processes' clocks (one machine; an offset between them would move time from one to the other, their sum holds). Times in ms: mean | p50 | p90. Wall time of the traced runs: ${[difyrun, bare, busy].map((parts) => `${fmt(parts.wallMs / 1000, 2)} s`).join(', ')}.`,
      table: [
        `| part of a cycle | difyrun: mean | p50 | p90 | bare client: mean | p50 | p90 | bare client + ${BUSY_MS} ms CPU a row: mean | p50 | p90 |`,
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
        row('client → server: POST created to its arrival at the server', 'there'),
        row('server: arrival to answer sent (250 ms latency, its timer, the graph)', 'inServer'),
        row('server → client: answer sent to the response ended in the client', 'back'),
        row('client: response ended to the next POST on the same socket (how long it sat idle)', 'turn'),
        row('whole cycle: one POST to the next on the socket', 'cycle'),
      ],
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
