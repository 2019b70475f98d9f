/**
 * Two results files side by side, paired by id: what changed, what did not, what is only in one,
 * the latency/tokens/cost deltas, and (with expectations) which rows regressed or improved.
 * The typical use: the same input through two workflow versions or two apps.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ResultRow, ResultSet } from './result-set.js';
import { computeStats, type ResultStats } from './stats.js';

export type Change = 'changed' | 'unchanged' | 'only_a' | 'only_b';
/** A row regressed when all its checks passed in A and not in B; improved the other way round. */
export type CheckChange = 'regressed' | 'improved';

export interface Pair {
  id: string;
  a: ResultRow | undefined;
  b: ResultRow | undefined;
  change: Change;
  /** Output names whose values differ (all names when the status differs). */
  changedOutputs: string[];
  checkChange: CheckChange | undefined;
}

export interface Comparison {
  a: { file: string; stats: ResultStats };
  b: { file: string; stats: ResultStats };
  pairs: Pair[];
  counts: Record<Change | CheckChange, number>;
}

export function compareResults(a: ResultSet, b: ResultSet): Comparison {
  const inB = new Map(b.rows.map((row) => [row.id, row]));
  const pairs: Pair[] = [];
  for (const row of a.rows) {
    pairs.push(pair(row.id, row, inB.get(row.id)));
    inB.delete(row.id);
  }
  for (const row of inB.values()) pairs.push(pair(row.id, undefined, row));
  const counts = { changed: 0, unchanged: 0, only_a: 0, only_b: 0, regressed: 0, improved: 0 };
  for (const p of pairs) {
    counts[p.change]++;
    if (p.checkChange) counts[p.checkChange]++;
  }
  return {
    a: { file: a.file, stats: computeStats(a.rows) },
    b: { file: b.file, stats: computeStats(b.rows) },
    pairs,
    counts,
  };
}

function pair(id: string, a: ResultRow | undefined, b: ResultRow | undefined): Pair {
  if (!a || !b) return { id, a, b, change: a ? 'only_a' : 'only_b', changedOutputs: [], checkChange: undefined };
  const changedOutputs = outputNames(a, b).filter((name) => !isDeepStrictEqual(a.outputs?.[name], b.outputs?.[name]));
  const changed = a.status !== b.status || a.error?.code !== b.error?.code || changedOutputs.length > 0;
  return { id, a, b, change: changed ? 'changed' : 'unchanged', changedOutputs, checkChange: checkChange(a, b) };
}

function outputNames(a: ResultRow, b: ResultRow): string[] {
  return [...new Set([...Object.keys(a.outputs ?? {}), ...Object.keys(b.outputs ?? {})])];
}

function checkChange(a: ResultRow, b: ResultRow): CheckChange | undefined {
  if (a.checks.length === 0 || b.checks.length === 0) return undefined;
  const passedA = a.checks.every((check) => check.pass);
  const passedB = b.checks.every((check) => check.pass);
  return passedA === passedB ? undefined : passedA ? 'regressed' : 'improved';
}
