/** `difyrun report`: one results file (a report) or two (a compare) as a self-contained HTML page. */
import { compareResults, type Comparison } from '../compare.js';
import { orderByInput, orderedRows } from '../input-order.js';
import { indexResults, ResultReader } from '../result-index.js';
import { readResults, type ResultRow, type ResultSet } from '../result-set.js';
import { StatsCollector, type ResultStats } from '../stats.js';
import { FIRST_ROWS, writeReportPage } from './page.js';
import { pairEntry, reportMeta, rowEntry, type RowEntry } from './report-data.js';

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
  if (options.results.length === 1) return writeSingleReport(options.results[0], options);
  const [a, b] = await Promise.all(options.results.map((file) => loadRows(file, options.input)));
  const comparison = compareResults({ ...a!.set, rows: a!.rows }, { ...b!.set, rows: b!.rows });
  const run = (loaded: Loaded, stats: ResultStats) => {
    const collector = new StatsCollector();
    for (const row of loaded.rows) collector.add(row);
    return { label: loaded.set.file, stats, values: collector };
  };
  const meta = reportMeta('compare', [run(a!, comparison.a.stats), run(b!, comparison.b.stats)], comparison.counts);
  const entries = comparison.pairs.map(pairEntry);
  await writeReportPage(options.output, entries, () => ({ meta, firstRows: entries.slice(0, FIRST_ROWS) }));
  return { kind: 'compare', rows: comparison.pairs.length, sets: [a!.set, b!.set], comparison, notRun: a!.notRun + b!.notRun };
}

/** One results file: its rows go into the page as they are read, and the numbers come from the same pass. */
async function writeSingleReport(file: string, options: ReportOptions): Promise<ReportSummary> {
  const index = await indexResults(file);
  const reader = await ResultReader.open(index);
  try {
    const collector = new StatsCollector();
    const first: RowEntry[] = [];
    const counts = { notRun: 0, notInInput: 0 };
    async function* entries(): AsyncGenerator<RowEntry> {
      for await (const row of orderedRows(reader, options.input, counts)) {
        collector.add(row);
        const entry = rowEntry(row);
        if (first.length < FIRST_ROWS) first.push(entry);
        yield entry;
      }
    }
    let rows = 0;
    await writeReportPage(options.output, entries(), () => {
      const stats = collector.stats();
      rows = stats.rows;
      return { meta: reportMeta('single', [{ label: file, stats, values: collector }]), firstRows: first };
    });
    return { kind: 'single', rows, sets: [index], notRun: counts.notRun };
  } finally {
    await reader.close();
  }
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
