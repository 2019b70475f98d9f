/** The numbers a report shows about one results file: counts, rates, time, tokens, cost, errors, checks. */
import { emptyTally, tallyRow, type AssertionTally } from './expectations/evaluate.js';
import type { ResultRow } from './result-set.js';

export interface Distribution {
  count: number;
  total: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ErrorGroup {
  code: string;
  count: number;
  /** The most frequent messages of this code, with counts. */
  messages: { message: string; count: number }[];
}

export interface ResultStats {
  rows: number;
  succeeded: number;
  failed: number;
  notRun: number;
  /** Of the rows that ran. */
  successRate: number | null;
  /** From the first row's start to the last row's finish (spans pauses between resumed runs). */
  wallTimeS: number | null;
  rowsPerS: number | null;
  latencyMs: Distribution | null;
  tokens: Distribution | null;
  price: Distribution | null;
  currency: string | null;
  errors: ErrorGroup[];
  checks: AssertionTally;
  /** Workflow versions that produced the rows (when recorded), with row counts. */
  workflowIds: { id: string; rows: number }[];
}

export function computeStats(rows: readonly ResultRow[]): ResultStats {
  const collector = new StatsCollector();
  for (const row of rows) collector.add(row);
  return collector.stats();
}

/** The stats of rows seen one at a time (a report does not hold its rows); also their values for the charts. */
export class StatsCollector {
  #rows = 0;
  #succeeded = 0;
  #failed = 0;
  #first = Infinity;
  #last = -Infinity;
  /** Latency of the rows that ran, tokens and price: for percentiles and histograms. */
  readonly latencies: number[] = [];
  readonly tokens: number[] = [];
  readonly prices: number[] = [];
  #currency: string | null = null;
  readonly #errors = new Map<string, Map<string, number>>();
  readonly #checks = emptyTally();
  readonly #workflowIds = new Map<string, number>();

  add(row: ResultRow): void {
    this.#rows++;
    tallyRow(this.#checks, row.checks);
    if (row.status === 'not_run') return;
    if (row.status === 'success') this.#succeeded++;
    else this.#failed++;
    if (row.latency_ms !== null && (row.attempts ?? 1) > 0) this.latencies.push(row.latency_ms);
    if (row.total_tokens !== null) this.tokens.push(row.total_tokens);
    if (row.total_price !== null) this.prices.push(row.total_price);
    this.#currency ??= row.currency;
    if (row.workflow_id) this.#workflowIds.set(row.workflow_id, (this.#workflowIds.get(row.workflow_id) ?? 0) + 1);
    if (row.error) {
      let messages = this.#errors.get(row.error.code);
      if (!messages) this.#errors.set(row.error.code, (messages = new Map()));
      messages.set(row.error.message, (messages.get(row.error.message) ?? 0) + 1);
    }
    const finished = row.executed_at ? Date.parse(row.executed_at) : NaN;
    if (!Number.isNaN(finished)) {
      this.#last = Math.max(this.#last, finished);
      this.#first = Math.min(this.#first, finished - (row.latency_ms ?? 0));
    }
  }

  stats(): ResultStats {
    const ran = this.#succeeded + this.#failed;
    const wallTimeS = this.#last >= this.#first ? Math.max(0.001, (this.#last - this.#first) / 1000) : null;
    return {
      rows: this.#rows,
      succeeded: this.#succeeded,
      failed: this.#failed,
      notRun: this.#rows - ran,
      successRate: ran === 0 ? null : this.#succeeded / ran,
      wallTimeS,
      rowsPerS: wallTimeS === null ? null : ran / wallTimeS,
      latencyMs: distribution(this.latencies),
      tokens: distribution(this.tokens),
      price: distribution(this.prices),
      currency: this.#currency,
      errors: errorGroups(this.#errors),
      checks: this.#checks,
      workflowIds: [...this.#workflowIds].map(([id, count]) => ({ id, rows: count })).sort((a, b) => b.rows - a.rows),
    };
  }
}

/** Exact nearest-rank percentiles (a report reads every row anyway). */
export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  let total = 0;
  for (const value of sorted) total += value;
  return { count: sorted.length, total, mean: total / sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1]! };
}

function errorGroups(errors: Map<string, Map<string, number>>): ErrorGroup[] {
  return [...errors]
    .map(([code, messages]) => ({
      code,
      count: [...messages.values()].reduce((sum, n) => sum + n, 0),
      messages: [...messages]
        .map(([message, count]) => ({ message, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, 5),
    }))
    .sort((a, b) => b.count - a.count);
}

export interface Bins {
  /** Lower edge of the first bin, and each bin's width. */
  low: number;
  width: number;
  count: number;
  /** Whether the last bin is open-ended (holds the values above the p99). */
  overflow: boolean;
}

/**
 * Up to `bins` equal bins from about the minimum to the p99, plus an overflow bin when values
 * go beyond: a few slow rows do not squash the rest into one bar.
 */
export function binsFor(values: readonly number[], bins = 30): Bins | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const min = sorted[0]!;
  const high = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
  const max = sorted[sorted.length - 1]!;
  const width = niceStep((high - min) / bins || 1);
  const low = Math.floor(min / width) * width;
  const regular = Math.min(bins, Math.floor((high - low) / width) + 1);
  const overflow = max >= low + regular * width;
  return { low, width, count: regular + (overflow ? 1 : 0), overflow };
}

/** How many values fall in each bin (the last bin takes everything above). */
export function binCounts(values: readonly number[], bins: Bins): number[] {
  const counts = new Array<number>(bins.count).fill(0);
  for (const value of values) counts[Math.max(0, Math.min(bins.count - 1, Math.floor((value - bins.low) / bins.width)))]!++;
  return counts;
}

/** 1, 2 or 5 times a power of ten, at least `raw`: bin edges a person can read. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 5, 10]) if (step * power >= raw) return step * power;
  return 10 * power;
}
