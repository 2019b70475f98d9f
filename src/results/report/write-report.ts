/** `difyrun report`: one results file (a report) or two (a compare) as a self-contained HTML page. */
import { compareResults, type Comparison } from '../compare.js';
import { orderByInput } from '../input-order.js';
import { readResults, type ResultRow, type ResultSet } from '../result-set.js';
import { computeStats } from '../stats.js';
import { writeReportPage } from './page.js';
import { pairEntry, reportMeta, rowEntry } from './report-data.js';

export interface ReportOptions {
  /** One results file, or two to compare (A then B). */
  results: [string] | [string, string];
  output: string;
  /** The batch input: its row order, not-run rows and expectations. */
  input?: string | undefined;
}

export interface ReportSummary {
  kind: 'single' | 'compare';
  rows: number;
  sets: Pick<ResultSet, 'file' | 'badLines'>[];
  comparison?: Comparison;
  notRun: number;
}

export async function writeReport(options: ReportOptions): Promise<ReportSummary> {
  const loaded = await Promise.all(options.results.map((file) => loadRows(file, options.input)));
  if (loaded.length === 1) {
    const [{ set, rows, notRun }] = loaded as [Loaded];
    const meta = reportMeta('single', [{ label: set.file, stats: computeStats(rows), rows }]);
    await writeReportPage(options.output, meta, rows.map(rowEntry));
    return { kind: 'single', rows: rows.length, sets: [set], notRun };
  }
  const [a, b] = loaded as [Loaded, Loaded];
  const comparison = compareResults({ ...a.set, rows: a.rows }, { ...b.set, rows: b.rows });
  const meta = reportMeta(
    'compare',
    [
      { label: a.set.file, stats: comparison.a.stats, rows: a.rows },
      { label: b.set.file, stats: comparison.b.stats, rows: b.rows },
    ],
    comparison.counts,
  );
  await writeReportPage(options.output, meta, comparison.pairs.map(pairEntry));
  return { kind: 'compare', rows: comparison.pairs.length, sets: [a.set, b.set], comparison, notRun: a.notRun + b.notRun };
}

interface Loaded {
  set: ResultSet;
  rows: ResultRow[];
  notRun: number;
}

/** A results file's rows, in the input's order when an input is given. */
export async function loadRows(file: string, input: string | undefined): Promise<Loaded> {
  const set = await readResults(file);
  if (input === undefined) return { set, rows: set.rows, notRun: 0 };
  const ordered = await orderByInput(set, input);
  return { set, rows: ordered.rows, notRun: ordered.notRun };
}
