/** `difyrun report`: an HTML report of one results file, or a compare of two. */
import type { Command } from 'commander';
import { writeReport } from '../../results/report/write-report.js';
import { OptionError } from '../config/environment.js';
import { plural, runResultsCommand, warnBadLines } from './results-kit.js';

const HELP = `
One file, readable offline: every script and style is inside it and it loads nothing.
With one results file: counts, success rate, wall time, rows/s, tokens, cost, a latency
histogram with p50/p90/p99, tokens and cost per row, status and errors with their top
messages, pass rates of expectations, and every row in a searchable, filterable, sortable
table (click a row for its inputs and outputs).
With two: per id, the outputs of A and B side by side with the differences marked; counts of
changed / unchanged / only-in-one rows; latency, token and cost deltas; with expectations,
the rows that regressed and improved.

Examples:
  difyrun report results.jsonl -o report.html
  difyrun report results.jsonl -o report.html --input data.csv   # input order, not-run rows
  difyrun report v1.jsonl v2.jsonl -o compare.html

Exit codes: 0 written · 1 could not write · 2 bad option or unreadable results/input file.`;

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write an HTML report of a results JSONL, or compare two')
    .argument('<results...>', 'one results JSONL, or two to compare (A B)')
    .option('-o, --output <file>', 'the HTML file to write')
    .option('-i, --input <file>', 'the batch input (CSV/JSONL): its row order, not-run rows and expectations')
    .option('--debug', 'print stack traces')
    .addHelpText('after', HELP)
    .action((results: string[], flags: { output?: string; input?: string; debug?: boolean }) =>
      runResultsCommand('report', flags, async () => {
        if (results.length > 2) throw new OptionError(`report takes one results file, or two to compare; got ${results.length}`);
        if (!flags.output) throw new OptionError('missing -o FILE.html');
        const summary = await writeReport({ results: results as [string] | [string, string], output: flags.output, input: flags.input });
        for (const set of summary.sets) warnBadLines(set);
        const what = summary.kind === 'compare' ? `a compare of ${plural(summary.rows, 'id')}` : `a report of ${plural(summary.rows, 'row')}`;
        process.stderr.write(`Wrote ${flags.output}: ${what}\n`);
      }),
    );
}
