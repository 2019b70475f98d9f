/** `difyrun export`: a results JSONL as a CSV or XLSX table. */
import type { Command } from 'commander';
import { exportFormatOf, exportResults } from '../../results/export/export.js';
import { OptionError } from '../config/environment.js';
import { plural, runResultsCommand, warnBadLines } from './results-kit.js';

const HELP = `
One row per id (the last line of an id wins), in the order ids first appear in the results or,
with --input, in the input's order (input rows with no result yet are listed as "not_run").
Columns: id, status, every input, every output (nested values as JSON), checks and
failed_checks (when the input has expect… columns), error, latency_ms, total_tokens,
total_price, currency, workflow_run_id, workflow_id, executed_at, attempts.

CSV: UTF-8 with a byte-order mark and CRLF line ends, so Excel opens it with every character
intact; text Excel would run as a formula (starting with = + - @) is prefixed with '.
XLSX: a frozen, filterable header; cells longer than Excel's 32,767 characters are cut.
The file is replaced atomically: a failed export never leaves a half-written file.

Examples:
  difyrun export results.jsonl -o results.csv
  difyrun export results.jsonl -o results.xlsx --input data.csv

Exit codes: 0 written · 1 could not write · 2 bad option or unreadable results/input file.`;

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a results JSONL as a CSV or XLSX table, one row per id')
    .argument('<results>', 'the JSONL written by difyrun batch')
    .option('-o, --output <file>', 'out.csv or out.xlsx')
    .option('-i, --input <file>', 'the batch input (CSV/JSONL): its row order, not-run rows and expectations')
    .option('--debug', 'print stack traces')
    .addHelpText('after', HELP)
    .action((results: string, flags: { output?: string; input?: string; debug?: boolean }) =>
      runResultsCommand('export', flags, async () => {
        if (!flags.output) throw new OptionError('missing -o FILE (.csv or .xlsx)');
        if (!exportFormatOf(flags.output)) throw new OptionError(`-o ${flags.output}: the format comes from the extension: use .csv or .xlsx`);
        const report = await exportResults({ results, output: flags.output, input: flags.input });
        warnBadLines({ file: results, badLines: report.badLines });
        if (report.notRun > 0) process.stderr.write(`note: ${plural(report.notRun, 'input row')} have no result yet (status "not_run")\n`);
        if (report.notInInput > 0) process.stderr.write(`note: ${plural(report.notInInput, 'result id')} not in ${flags.input} (listed last)\n`);
        if (report.cutCells > 0)
          process.stderr.write(`warning: ${plural(report.cutCells, 'cell')} cut to Excel's 32,767 characters (the CSV export keeps them whole)\n`);
        const encoding = report.format === 'csv' ? ' (UTF-8 with BOM)' : '';
        process.stderr.write(`Wrote ${flags.output}: ${plural(report.rows, 'row')} × ${report.columns} columns${encoding}\n`);
      }),
    );
}
