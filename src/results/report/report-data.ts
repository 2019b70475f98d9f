/**
 * What a report page embeds: `meta` (summary numbers, chart bins) and one compact entry per row.
 * The page script (assets/report/*.js) reads the same shapes; keys are short because a report
 * may hold 100,000 rows.
 */
import type { Comparison, Pair } from '../compare.js';
import type { ResultRow } from '../result-set.js';
import { binCounts, binsFor, type Bins, type ResultStats } from '../stats.js';

/** One row: id, status, inputs, outputs, error, latency ms, tokens, price, run id, workflow id, executed at, checks. */
export interface RowEntry {
  id: string;
  s: string;
  i: Record<string, unknown>;
  o: Record<string, unknown> | null;
  e: { code: string; message: string } | null;
  l: number | null;
  t: number | null;
  c: number | null;
  r: string | null;
  w: string | null;
  x: string | null;
  /** [column, passed (1/0), message]. */
  k: [string, number, string][];
}

/** One id of a compare: change, check change, changed output names, and the row of each run. */
export interface PairEntry {
  id: string;
  ch: string;
  cc: string | null;
  co: string[];
  a: RowEntry | null;
  b: RowEntry | null;
}

export interface RunMeta {
  label: string;
  stats: Omit<ResultStats, 'checks'> & {
    checks: { rows: { passed: number; total: number }; assertions: { passed: number; total: number }; byColumn: [string, { passed: number; total: number }][] };
  };
  /** Counts per bin; the bins are in `ReportMeta.bins` (shared by both runs of a compare). */
  histograms: { latency: number[] | null; tokens: number[] | null; price: number[] | null };
}

export interface ReportMeta {
  kind: 'single' | 'compare';
  generatedAt: string;
  runs: RunMeta[];
  bins: { latency: Bins | null; tokens: Bins | null; price: Bins | null };
  counts?: Comparison['counts'];
}

export function rowEntry(row: ResultRow): RowEntry {
  return {
    id: row.id,
    s: row.status,
    i: row.inputs,
    o: row.outputs,
    e: row.error ? { code: row.error.code, message: row.error.message } : null,
    l: row.latency_ms,
    t: row.total_tokens,
    c: row.total_price,
    r: row.workflow_run_id,
    w: row.workflow_id,
    x: row.executed_at,
    k: row.checks.map((check) => [check.column, check.pass ? 1 : 0, check.message ?? '']),
  };
}

export function pairEntry(pair: Pair): PairEntry {
  return {
    id: pair.id,
    ch: pair.change,
    cc: pair.checkChange ?? null,
    co: pair.changedOutputs,
    a: pair.a ? rowEntry(pair.a) : null,
    b: pair.b ? rowEntry(pair.b) : null,
  };
}

/** The meta of a report on one or two runs: bins are computed over both, so the bars line up. */
export function reportMeta(
  kind: 'single' | 'compare',
  runs: { label: string; stats: ResultStats; rows: readonly ResultRow[] }[],
  counts?: Comparison['counts'],
): ReportMeta {
  const series = (pick: (row: ResultRow) => number | null) => runs.map((run) => values(run.rows, pick));
  const latency = series((row) => (row.status === 'not_run' ? null : row.latency_ms));
  const tokens = series((row) => row.total_tokens);
  const price = series((row) => row.total_price);
  const bins = { latency: binsFor(latency.flat()), tokens: binsFor(tokens.flat()), price: binsFor(price.flat()) };
  const count = (bin: Bins | null, of: number[]) => (bin && of.length > 0 ? binCounts(of, bin) : null);
  return {
    kind,
    generatedAt: new Date().toISOString(),
    runs: runs.map((run, index) => ({
      label: run.label,
      stats: { ...run.stats, checks: { ...run.stats.checks, byColumn: [...run.stats.checks.byColumn] } },
      histograms: { latency: count(bins.latency, latency[index]!), tokens: count(bins.tokens, tokens[index]!), price: count(bins.price, price[index]!) },
    })),
    bins,
    ...(counts ? { counts } : {}),
  };
}

function values(rows: readonly ResultRow[], pick: (row: ResultRow) => number | null): number[] {
  const out: number[] = [];
  for (const row of rows) {
    const value = pick(row);
    if (value !== null) out.push(value);
  }
  return out;
}
