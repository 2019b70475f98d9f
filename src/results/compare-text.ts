/** `difyrun diff`: a comparison as text for a terminal, word differences marked like `git diff --word-diff`. */
import { diffWordsWithSpace } from 'diff';
import type { Comparison, Pair } from './compare.js';
import { formatPassRate } from './expectations/evaluate.js';
import type { Distribution, ResultStats } from './stats.js';

export interface Paint {
  red(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
  removed(text: string): string;
  added(text: string): string;
}

/** Terminal colours: removed text red, added text green. */
export function colourPaint(colours: Omit<Paint, 'removed' | 'added'>): Paint {
  return { ...colours, removed: colours.red, added: colours.green };
}

/** Without colour, removed text is [-shown like this-] and added text {+like this+}. */
export function plainPaint(): Paint {
  const same = (text: string) => text;
  return { red: same, green: same, bold: same, dim: same, removed: (t) => `[-${t}-]`, added: (t) => `{+${t}+}` };
}

export function formatComparison(comparison: Comparison, options: { limit: number; paint: Paint }): string {
  const { a, b, counts } = comparison;
  const p = options.paint;
  const lines = [
    `A ${a.file} (${a.stats.rows} rows) · B ${b.file} (${b.stats.rows} rows)`,
    p.bold(`changed ${counts.changed} · unchanged ${counts.unchanged} · only in A ${counts.only_a} · only in B ${counts.only_b}`),
    row('success rate', pct(a.stats.successRate), pct(b.stats.successRate), points(a.stats.successRate, b.stats.successRate)),
    row('latency p50', ms(a.stats.latencyMs?.p50), ms(b.stats.latencyMs?.p50), change(a.stats.latencyMs?.p50, b.stats.latencyMs?.p50)),
    row('latency p90', ms(a.stats.latencyMs?.p90), ms(b.stats.latencyMs?.p90), change(a.stats.latencyMs?.p90, b.stats.latencyMs?.p90)),
    row('tokens', total(a.stats.tokens), total(b.stats.tokens), change(a.stats.tokens?.total, b.stats.tokens?.total)),
    row('cost', cost(a.stats), cost(b.stats), change(a.stats.price?.total, b.stats.price?.total)),
  ];
  if (a.stats.checks.rows.total > 0 || b.stats.checks.rows.total > 0) {
    lines.push(row('checks passed', formatPassRate(a.stats.checks.rows), formatPassRate(b.stats.checks.rows), ''));
    const ids = (kind: 'regressed' | 'improved') => comparison.pairs.filter((pair) => pair.checkChange === kind).map((pair) => pair.id);
    const regressed = ids('regressed');
    const improved = ids('improved');
    lines.push(
      `${regressed.length ? p.red(`regressed ${regressed.length}`) : 'regressed 0'}${list(regressed)} · ${improved.length ? p.green(`improved ${improved.length}`) : 'improved 0'}${list(improved)}`,
    );
  }
  const changed = comparison.pairs.filter((pair) => pair.change === 'changed');
  if (changed.length > 0 && options.limit > 0) {
    lines.push('', p.bold(`Changed rows${changed.length > options.limit ? ` (first ${options.limit} of ${changed.length})` : ''}:`));
    for (const pair of changed.slice(0, options.limit)) lines.push(...pairLines(pair, p));
  }
  return lines.join('\n');
}

function pairLines(pair: Pair, p: Paint): string[] {
  const a = pair.a!;
  const b = pair.b!;
  const status = a.status === b.status ? a.status : `${a.status} → ${b.status}`;
  const out = [`${p.bold(pair.id)}  ${status}${pair.checkChange ? `  checks ${pair.checkChange}` : ''}`];
  if (a.error?.code !== b.error?.code)
    out.push(`  error: ${a.error?.code ?? '-'} → ${b.error?.code ?? '-'}${b.error ? ` (${clip(b.error.message, 120)})` : ''}`);
  for (const name of pair.changedOutputs) {
    out.push(`  ${name}: ${wordDiff(a.outputs?.[name], b.outputs?.[name], p)}`);
  }
  return out;
}

/** Word differences, with unchanged stretches longer than 80 characters shortened to their ends. */
export function wordDiff(before: unknown, after: unknown, p: Paint): string {
  const text = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  const parts = diffWordsWithSpace(text(before), text(after));
  return parts
    .map((part) => {
      const value = part.value.replace(/\n/g, '⏎');
      if (part.added) return p.added(clip(value, 300));
      if (part.removed) return p.removed(clip(value, 300));
      return value.length > 80 ? `${value.slice(0, 36)}${p.dim('…')}${value.slice(-36)}` : value;
    })
    .join('');
}

function row(label: string, a: string, b: string, delta: string): string {
  return `${label.padEnd(14)}${a} → ${b}${delta ? `  (${delta})` : ''}`;
}

function list(ids: string[]): string {
  return ids.length === 0 ? '' : `: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ` … and ${ids.length - 10} more` : ''}`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function pct(rate: number | null): string {
  return rate === null ? '-' : `${(100 * rate).toFixed(1)}%`;
}

function points(a: number | null, b: number | null): string {
  if (a === null || b === null || a === b) return '';
  const diff = 100 * (b - a);
  return `${diff >= 0 ? '+' : ''}${diff.toFixed(1)} points`;
}

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function total(distribution: Distribution | null): string {
  return distribution ? String(Math.round(distribution.total)) : '-';
}

function cost(stats: ResultStats): string {
  return stats.price ? `${Number(stats.price.total.toFixed(6))}${stats.currency ? ` ${stats.currency}` : ''}` : '-';
}

function change(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || a === b) return '';
  if (a === 0) return b > 0 ? 'up from 0' : '';
  const relative = (100 * (b - a)) / Math.abs(a);
  return `${relative >= 0 ? '+' : ''}${relative.toFixed(1)}%`;
}
