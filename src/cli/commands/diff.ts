/** `difyrun diff`: two results files compared by id, summarised in the terminal. */
import type { Command } from 'commander';
import { compareResults } from '../../results/compare.js';
import { colourPaint, formatComparison, plainPaint } from '../../results/compare-text.js';
import { loadRows } from '../../results/report/write-report.js';
import { EXIT } from '../../exit-codes.js';
import { colour, printJson } from '../command-kit.js';
import { numberOption } from '../config/environment.js';
import { runResultsCommand, warnBadLines } from './results-kit.js';

const HELP = `
Pairs the rows of A and B by id (the last line of each id wins) and prints: counts of changed /
unchanged / only-in-one rows; success rate, latency, token and cost changes; with expectations
(expect… input columns), pass rates and the rows that regressed or improved; then the changed
rows with their differing outputs, word by word (removed [-like this-], added {+like this+}
when not in colour). For the full side-by-side view: difyrun report A B -o compare.html.

Examples:
  difyrun diff v1.jsonl v2.jsonl
  difyrun diff v1.jsonl v2.jsonl --limit 50 --input data.csv
  difyrun diff v1.jsonl v2.jsonl --json | jq .regressed

Exit codes: 0 compared · 1 with --fail-on-change: some row changed or is only in one file ·
2 bad option or file · ${EXIT.checks} some rows regressed (their expectations passed in A and fail in B).`;

interface DiffFlags {
  input?: string;
  limit: string;
  json?: boolean;
  failOnChange?: boolean;
  debug?: boolean;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('compare two results JSONL files by id: what changed, what regressed')
    .argument('<a>', 'results JSONL (before)')
    .argument('<b>', 'results JSONL (after)')
    .option('-i, --input <file>', 'the batch input: its row order and expectations')
    .option('--limit <n>', 'changed rows to show', '10')
    .option('--json', 'machine-readable JSON on stdout')
    .option('--fail-on-change', 'exit 1 when any row changed or is only in one file')
    .option('--debug', 'print stack traces')
    .addHelpText('after', HELP)
    .action((a: string, b: string, flags: DiffFlags) =>
      runResultsCommand('diff', flags, async () => {
        const limit = numberOption(flags.limit, '--limit', 10, { min: 0, integer: true });
        const [left, right] = await Promise.all([loadRows(a, flags.input), loadRows(b, flags.input)]);
        warnBadLines(left.set);
        warnBadLines(right.set);
        const comparison = compareResults({ ...left.set, rows: left.rows }, { ...right.set, rows: right.rows });
        const ids = (test: (pair: (typeof comparison.pairs)[number]) => boolean) => comparison.pairs.filter(test).map((pair) => pair.id);
        if (flags.json) {
          printJson({
            a: { file: a, ...summary(comparison.a.stats) },
            b: { file: b, ...summary(comparison.b.stats) },
            counts: comparison.counts,
            changed: ids((pair) => pair.change === 'changed'),
            only_a: ids((pair) => pair.change === 'only_a'),
            only_b: ids((pair) => pair.change === 'only_b'),
            regressed: ids((pair) => pair.checkChange === 'regressed'),
            improved: ids((pair) => pair.checkChange === 'improved'),
          });
        } else {
          const paint = process.stdout.isTTY && !process.env.NO_COLOR ? colourPaint(colour(process.stdout)) : plainPaint();
          process.stdout.write(`${formatComparison(comparison, { limit, paint })}\n`);
        }
        const { counts } = comparison;
        if (counts.regressed > 0) return EXIT.checks;
        if (flags.failOnChange && counts.changed + counts.only_a + counts.only_b > 0) return EXIT.failed;
        return EXIT.ok;
      }),
    );
}

function summary(stats: ReturnType<typeof compareResults>['a']['stats']) {
  return {
    rows: stats.rows,
    succeeded: stats.succeeded,
    failed: stats.failed,
    success_rate: stats.successRate,
    latency_ms: stats.latencyMs && { p50: stats.latencyMs.p50, p90: stats.latencyMs.p90, p99: stats.latencyMs.p99 },
    total_tokens: stats.tokens?.total ?? null,
    total_price: stats.price?.total ?? null,
    currency: stats.currency,
    checks:
      stats.checks.rows.total > 0
        ? {
            rows_passed: stats.checks.rows.passed,
            rows: stats.checks.rows.total,
            assertions_passed: stats.checks.assertions.passed,
            assertions: stats.checks.assertions.total,
          }
        : null,
  };
}
