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

/** A run's numbers for the charts: each row's latency (of rows that ran), tokens and price. */
export interface RunValues {
  latencies: readonly number[];
  tokens: readonly number[];
  prices: readonly number[];
}

/** The meta of a report on one or two runs: bins are computed over both, so the bars line up. */
export function reportMeta(
  kind: 'single' | 'compare',
  runs: { label: string; stats: ResultStats; values: RunValues }[],
  counts?: Comparison['counts'],
): ReportMeta {
  const all = (pick: (values: RunValues) => readonly number[]) => runs.flatMap((run) => pick(run.values));
  const bins = { latency: binsFor(all((v) => v.latencies)), tokens: binsFor(all((v) => v.tokens)), price: binsFor(all((v) => v.prices)) };
  const count = (bin: Bins | null, of: readonly number[]) => (bin && of.length > 0 ? binCounts(of, bin) : null);
  return {
    kind,
    generatedAt: new Date().toISOString(),
    runs: runs.map((run) => ({
      label: run.label,
      stats: { ...run.stats, checks: { ...run.stats.checks, byColumn: [...run.stats.checks.byColumn] } },
      histograms: {
        latency: count(bins.latency, run.values.latencies),
        tokens: count(bins.tokens, run.values.tokens),
        price: count(bins.price, run.values.prices),
      },
    })),
    bins,
    ...(counts ? { counts } : {}),
  };
}
