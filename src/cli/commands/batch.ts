/** `difyrun batch`: wires flags, env and signals to src/batch/run-batch.ts. */
import type { Command } from 'commander';
import { BATCH_DEFAULTS, BATCH_MODES, batchConfig as fullBatchConfig, compactLedger, runBatch, type BatchConfig, type BatchMode } from '../../batch/index.js';
import { writeReport } from '../../results/report/write-report.js';
import { connect } from '../config/connect.js';
import { describeError, type SettingSources } from '../../client/describe-error.js';
import { exitCodeFor } from '../command-kit.js';
import { loadEnvironment, numberOption, OptionError } from '../config/environment.js';
import { EXIT } from '../../exit-codes.js';
import { watchInterrupts } from '../interrupts.js';

interface BatchFlags {
  input?: string;
  output?: string;
  retry?: boolean;
  wait?: string;
  concurrency?: string;
  rpm?: string;
  mode?: string;
  maxRetries?: string;
  timeout?: string;
  user?: string;
  dryRun?: boolean;
  bom?: boolean;
  quiet?: boolean;
  json?: boolean;
  compact?: boolean;
  local?: string;
  localFaults?: string;
  apiKey?: string;
  baseUrl?: string;
  workflowId?: string;
  rerunAll?: boolean;
  rerunOlderVersions?: boolean;
  report?: string;
  debug?: boolean;
  delimiter?: string;
  encoding?: string;
  sheet?: string;
  queue?: string;
}

export const BATCH_HELP = `
Input: CSV or TSV (header required, first column "id"; delimiter , ; TAB | detected; UTF-8,
or UTF-16 with a BOM, or --encoding), an .xlsx workbook (first sheet, or --sheet), or JSONL
({"id": ..., "inputs": {...}} per line). Other columns are the workflow's input variables;
"id" is one too when the workflow declares it.

Output: one JSON line per row outcome (status "success" or "failed"), flushed to disk as each
row finishes. Rows may finish out of order; the last line per id wins. <output>.retry lists
failed ids, <output>.summary.json the summary. Running the same command again resumes: ids that
succeeded are skipped, rows that were in flight are recovered without being run twice.

Modes: auto (default) streams first and moves new rows to blocking when streaming runs wait in
Dify's worker queue while runs finish well inside gateway cut-offs (~100 s on Dify Cloud); back to
streaming when runs get long. The summary says which mode ran and why.

Environment (also read from ./.env): DIFY_API_KEY, DIFY_API_BASE_URL, DIFY_WORKFLOW_ID,
MAX_RETRIES (${BATCH_DEFAULTS.maxRetries}), INITIAL_RETRY_DELAY (${BATCH_DEFAULTS.initialRetryDelaySeconds}), MAX_RETRY_DELAY (${BATCH_DEFAULTS.maxRetryDelaySeconds}), TIMEOUT (${BATCH_DEFAULTS.timeoutSeconds}). Flags win.

Examples:
  difyrun batch --local examples/workflows/review-triage.yml -i examples/data/reviews.csv -o out.jsonl
  difyrun batch -i data.csv -o results.jsonl -c 16 --rpm 600
  difyrun batch -i data.csv -o results.jsonl --retry        # only the ids in results.jsonl.retry
  difyrun batch -i data.csv -o results.jsonl --dry-run      # validate, show request bodies, run nothing
  difyrun batch -o results.jsonl --compact                  # one line per id
  difyrun batch -i data.csv -o results.jsonl --compact      # … in the input's order
  difyrun batch -i data.csv -o results.jsonl --report report.html

Expected outputs: columns named expect:OUTPUT, expect_contains:OUTPUT, expect_regex:OUTPUT,
expect_json:OUTPUT, expect_approx:OUTPUT are checked against each row's outputs (never sent);
each line records its "assertions" (see README "After the run").
Resume: a row whose inputs changed since it succeeded runs again; --rerun-older-versions and
--rerun-all run again rows produced by another workflow version, or every row.

Exit codes: 0 all rows succeeded · 1 some rows failed · 2 usage or input error ·
3 auth, app or quota error stopped the batch · 4 could not reach or use the server ·
5 every row succeeded but expected outputs did not all match · 130 interrupted (Ctrl-C).`;

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description('run every row of a CSV, TSV, .xlsx or JSONL file through the workflow (concurrent, resumable)')
    .option('-i, --input <file>', 'CSV, TSV, .xlsx or JSONL input')
    .option('--delimiter <char>', 'CSV delimiter: , ; tab | or any one character (default: detected; tab for .tsv)')
    .option(
      '--encoding <name>',
      'input text encoding, e.g. shift_jis, cp932, gbk, gb18030, big5, euc-kr, windows-1252, latin1 (default: UTF-8, or UTF-16 by its BOM)',
    )
    .option('--sheet <name>', '.xlsx input: the sheet to read (default: the first)')
    .option('-o, --output <file>', 'JSONL output (appended to; resumable)')
    .option('--retry', 'run only the ids listed in <output>.retry')
    .option('-w, --wait <seconds>', `minimum time between two request starts (default: ${BATCH_DEFAULTS.waitSeconds})`)
    .option('-c, --concurrency <n>', `rows in flight at once, lowered automatically on 429 (default: ${BATCH_DEFAULTS.concurrency})`)
    .option('--rpm <n>', 'at most this many requests per minute')
    .option('--mode <mode>', `auto, streaming (survives the ~100 s gateway cut-off) or blocking (default: ${BATCH_DEFAULTS.mode})`)
    .option('--max-retries <n>', `retries of transient errors per row (env MAX_RETRIES, default: ${BATCH_DEFAULTS.maxRetries})`)
    .option(
      '--timeout <seconds>',
      `bounds every wait of a row: a request, a stream's first event, a recovery (env TIMEOUT, default: ${BATCH_DEFAULTS.timeoutSeconds})`,
    )
    .option('--user <name>', 'send this user for every row (default: difyrun-<id>, one per row)')
    .option('--dry-run', 'validate every row and print the first request bodies; run nothing')
    .option('--bom', 'start a new output file with a UTF-8 BOM (for Excel)')
    .option('--quiet', 'no progress and no summary on stderr')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--compact', 'rewrite --output to one line per id (last wins; in the input order with -i) and exit')
    .option('--rerun-older-versions', 'run again rows produced by another workflow version than the current one')
    .option('--rerun-all', 'run again every row, also those that already succeeded')
    .option('--report <file.html>', 'write the HTML report of the output when the batch ends')
    .option('--local <workflow.yml>', 'run against a local server started in-process with this Dify DSL file')
    .option('--local-faults <json|file>', 'fault injection for --local (see README "Fault injection")')
    .option('--base-url <url>', 'Dify API base URL (env DIFY_API_BASE_URL)')
    .option('--api-key <key>', 'API key (prefer env DIFY_API_KEY: flags are visible to other processes)')
    .option('--workflow-id <id>', 'run this published workflow version (env DIFY_WORKFLOW_ID)')
    .option('--debug', 'print stack traces')
    .option('--queue <redis-url>', 'run the rows on `difyrun worker` processes through Redis (README "Scale-out")')
    .addHelpText('after', BATCH_HELP)
    .action(async (flags: BatchFlags) => {
      exitOnceFlushed(await batchCommand(flags));
    });
}

/**
 * Ends the process as soon as stdout and stderr have taken everything written to them. By now
 * every output line, the journal and the summary are on disk; left to drain, the process would
 * spend another 15–20 ms tearing its heap down (measured) before the shell, or a script
 * timing the batch, gets its exit code.
 */
function exitOnceFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

async function batchCommand(flags: BatchFlags): Promise<number> {
  let baseURL = flags.baseUrl ?? 'the server';
  let sources: SettingSources | undefined;
  try {
    if (flags.compact) {
      if (!flags.output) throw new OptionError('--compact needs --output FILE');
      const result = await compactLedger(flags.output, { inputOrder: flags.input });
      if (result === undefined) throw new OptionError(`--compact: ${flags.output} does not exist`);
      process.stderr.write(
        `${flags.output}: ${result.linesBefore} lines → ${result.linesAfter} (one per id${flags.input ? `, in the order of ${flags.input}` : ''})\n`,
      );
      return EXIT.ok;
    }
    const env = loadEnvironment();
    const config = batchConfig(flags, env);
    // The queue's modules (BullMQ, ioredis) are loaded only for --queue: they were a fifth of a plain batch's start-up CPU.
    const queueUrl = flags.queue === undefined ? undefined : (await import('./worker.js')).queueUrlOption(flags.queue);
    if (queueUrl !== undefined && flags.local !== undefined)
      throw new OptionError('--queue cannot be used with --local (workers cannot reach an in-process server): start `difyrun serve` and pass --base-url');
    // A queued batch keeps rows that succeeded out of the queue for good: refused rather than silently ignored.
    if (queueUrl !== undefined && (config.rerunAll || config.rerunOlderVersions))
      throw new OptionError(`${config.rerunAll ? '--rerun-all' : '--rerun-older-versions'} does not work with --queue yet: run the batch once without --queue`);
    const connection = await connect(flags, env, {
      timeoutMs: config.timeoutSeconds * 1000,
      warn: (message) => process.stderr.write(`${message}\n`),
    });
    baseURL = connection.baseURL;
    sources = connection.sources;
    const signals = watchSignals(config.quiet);
    try {
      const io = { client: connection.client, stdout: process.stdout, stderr: process.stderr, interrupt: signals.interrupt, hardStop: signals.hardStop };
      const result =
        queueUrl === undefined
          ? await runBatch({ ...config, knownWorkflowVersion: connection.workflowVersion }, io)
          : await (await import('../../queue/submit/submit-batch.js')).submitToQueue(queueUrl, config, io, flags.apiKey ?? env.DIFY_API_KEY ?? '');
      if (flags.json && result.summary) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
      if (flags.report && result.summary) {
        await writeReport({ results: [config.output], output: flags.report, input: config.input });
        if (!config.quiet) process.stderr.write(`Wrote ${flags.report}\n`);
      }
      // The printed summary already says why the batch stopped; with --quiet, say it here.
      if (config.quiet && result.summary?.stopped_reason && result.exitCode === EXIT.auth) {
        process.stderr.write(`difyrun batch: ${result.summary.stopped_reason}\n`);
      }
      return result.exitCode;
    } finally {
      signals.dispose();
      await connection.close();
    }
  } catch (error) {
    process.stderr.write(`difyrun batch: ${describeError(error, baseURL, sources)}\n`);
    if (flags.debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return exitCodeFor(error);
  }
}

/** Maps flags and environment variables onto BatchConfig; the defaults are the batch module's. */
function batchConfig(flags: BatchFlags, env: Record<string, string | undefined>): BatchConfig {
  if (!flags.input) throw new OptionError('missing --input FILE (CSV, TSV, .xlsx or JSONL)');
  if (!flags.output) throw new OptionError('missing --output FILE (JSONL)');
  const mode = (flags.mode ?? BATCH_DEFAULTS.mode) as BatchMode;
  if (!BATCH_MODES.includes(mode)) throw new OptionError(`--mode must be ${BATCH_MODES.map((name) => `"${name}"`).join(', ')}, got "${mode}"`);
  /** A flag, else its environment variable; the error names whichever was given. */
  const either = (flag: string | undefined, flagName: string, variable: string) => ({
    value: flag ?? env[variable],
    name: flag !== undefined ? flagName : variable,
  });
  const number = (given: { value: string | undefined; name: string }, fallback: number, rules: { min?: number; integer?: boolean }) =>
    numberOption(given.value, given.name, fallback, rules);
  const d = BATCH_DEFAULTS;
  return fullBatchConfig({
    input: flags.input,
    output: flags.output,
    retryOnly: flags.retry,
    waitSeconds: number({ value: flags.wait, name: '--wait' }, d.waitSeconds, { min: 0 }),
    concurrency: number({ value: flags.concurrency, name: '--concurrency' }, d.concurrency, { min: 1, integer: true }),
    rpm: flags.rpm === undefined ? undefined : number({ value: flags.rpm, name: '--rpm' }, 0, { min: 1 }),
    mode,
    maxRetries: number(either(flags.maxRetries, '--max-retries', 'MAX_RETRIES'), d.maxRetries, { min: 0, integer: true }),
    initialRetryDelaySeconds: number({ value: env.INITIAL_RETRY_DELAY, name: 'INITIAL_RETRY_DELAY' }, d.initialRetryDelaySeconds, { min: 0 }),
    maxRetryDelaySeconds: number({ value: env.MAX_RETRY_DELAY, name: 'MAX_RETRY_DELAY' }, d.maxRetryDelaySeconds, { min: 0 }),
    timeoutSeconds: number(either(flags.timeout, '--timeout', 'TIMEOUT'), d.timeoutSeconds, { min: 1 }),
    user: flags.user,
    workflowId: flags.workflowId ?? (env.DIFY_WORKFLOW_ID || undefined),
    dryRun: flags.dryRun,
    rerunAll: flags.rerunAll,
    rerunOlderVersions: flags.rerunOlderVersions,
    bom: flags.bom,
    quiet: flags.quiet,
    inputOptions: { delimiter: flags.delimiter, encoding: flags.encoding, sheet: flags.sheet },
  });
}

/** First Ctrl-C: stop gracefully. Second: leave at once (lines are written whole, so none is torn). */
function watchSignals(quiet: boolean) {
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  const watcher = watchInterrupts(
    () => {
      if (!quiet)
        process.stderr.write(
          '\nStopping: no new rows; streaming runs in flight are stopped on the server, blocking requests finish (Ctrl-C again to quit now)\n',
        );
      interrupt.abort();
    },
    () => {
      hardStop.abort();
      process.stderr.write('\nQuitting now. Rows still in flight will be recovered when you run the same command again.\n');
    },
  );
  return { interrupt: interrupt.signal, hardStop: hardStop.signal, dispose: () => watcher.dispose() };
}
