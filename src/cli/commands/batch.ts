/** `difyrun batch`: wires flags, env and signals to src/batch/run-batch.ts. */
import type { Command } from 'commander';
import { runBatch, type BatchConfig } from '../../batch/run-batch.js';
import { compactLedger } from '../../batch/record/compact.js';
import { connect } from '../config/connect.js';
import { describeError, type SettingSources } from '../../client/describe-error.js';
import { exitCodeFor } from '../command-kit.js';
import { loadEnvironment, numberOption, OptionError } from '../config/environment.js';
import { EXIT } from '../../exit-codes.js';
import { tuneHeapForBatch } from '../heap-tuning.js';
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
  debug?: boolean;
}

export const BATCH_HELP = `
Input: CSV (UTF-8, BOM ok, header required, first column "id") or JSONL
({"id": ..., "inputs": {...}} per line). Other columns are the workflow's input variables.

Output: one JSON line per row outcome (status "success" or "failed"), flushed to disk as each
row finishes. Rows may finish out of order; the last line per id wins. <output>.retry lists
failed ids, <output>.summary.json the summary. Running the same command again resumes: ids that
succeeded are skipped, rows that were in flight are recovered without being run twice.

Environment (also read from ./.env): DIFY_API_KEY, DIFY_API_BASE_URL, DIFY_WORKFLOW_ID,
MAX_RETRIES (3), INITIAL_RETRY_DELAY (1), MAX_RETRY_DELAY (60), TIMEOUT (300). Flags win.

Examples:
  difyrun batch --local examples/workflows/review-triage.yml -i examples/data/reviews.csv -o out.jsonl
  difyrun batch -i data.csv -o results.jsonl -c 16 --rpm 600
  difyrun batch -i data.csv -o results.jsonl --retry        # only the ids in results.jsonl.retry
  difyrun batch -i data.csv -o results.jsonl --dry-run      # validate, show request bodies, run nothing
  difyrun batch -o results.jsonl --compact                  # one line per id

Exit codes: 0 all rows succeeded · 1 some rows failed · 2 usage or input error ·
3 auth, app or quota error stopped the batch · 4 could not reach or use the server ·
130 interrupted (Ctrl-C).`;

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description('run every row of a CSV/JSONL file through the workflow (concurrent, resumable)')
    .option('-i, --input <file>', 'CSV or JSONL input')
    .option('-o, --output <file>', 'JSONL output (appended to; resumable)')
    .option('--retry', 'run only the ids listed in <output>.retry')
    .option('-w, --wait <seconds>', 'minimum time between two request starts', '0')
    .option('-c, --concurrency <n>', 'rows in flight at once (lowered automatically on 429)', '5')
    .option('--rpm <n>', 'at most this many requests per minute')
    .option('--mode <mode>', 'streaming (survives the ~100 s gateway cut-off) or blocking', 'streaming')
    .option('--max-retries <n>', 'retries of transient errors per row (env MAX_RETRIES, default 3)')
    .option('--timeout <seconds>', 'per-request timeout (env TIMEOUT, default 300)')
    .option('--user <name>', 'send this user for every row (default: difyrun-<id>, one per row)')
    .option('--dry-run', 'validate every row and print the first request bodies; run nothing')
    .option('--bom', 'start a new output file with a UTF-8 BOM (for Excel)')
    .option('--quiet', 'no progress and no summary on stderr')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--compact', 'rewrite --output to one line per id (last wins) and exit')
    .option('--local <workflow.yml>', 'run against a local server started in-process with this Dify DSL file')
    .option('--local-faults <json|file>', 'fault injection for --local (see README "Fault injection")')
    .option('--base-url <url>', 'Dify API base URL (env DIFY_API_BASE_URL)')
    .option('--api-key <key>', 'API key (prefer env DIFY_API_KEY: flags are visible to other processes)')
    .option('--workflow-id <id>', 'run this published workflow version (env DIFY_WORKFLOW_ID)')
    .option('--debug', 'print stack traces')
    .addHelpText('after', BATCH_HELP)
    .action(async (flags: BatchFlags) => {
      process.exitCode = await batchCommand(flags);
    });
}

async function batchCommand(flags: BatchFlags): Promise<number> {
  tuneHeapForBatch();
  let baseURL = flags.baseUrl ?? 'the server';
  let sources: SettingSources | undefined;
  try {
    if (flags.compact) {
      if (!flags.output) throw new OptionError('--compact needs --output FILE');
      const result = await compactLedger(flags.output);
      if (result === undefined) throw new OptionError(`--compact: ${flags.output} does not exist`);
      process.stderr.write(`${flags.output}: ${result.linesBefore} lines → ${result.linesAfter} (one per id)\n`);
      return EXIT.ok;
    }
    const env = loadEnvironment();
    const config = batchConfig(flags, env);
    const connection = await connect(flags, env, {
      timeoutMs: config.timeoutSeconds * 1000,
      warn: (message) => process.stderr.write(`${message}\n`),
    });
    baseURL = connection.baseURL;
    sources = connection.sources;
    const signals = watchSignals(config.quiet);
    try {
      const result = await runBatch(config, {
        client: connection.client,
        stdout: process.stdout,
        stderr: process.stderr,
        interrupt: signals.interrupt,
        hardStop: signals.hardStop,
      });
      if (flags.json && result.summary) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
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

function batchConfig(flags: BatchFlags, env: Record<string, string | undefined>): BatchConfig {
  if (!flags.input) throw new OptionError('missing --input FILE (CSV or JSONL)');
  if (!flags.output) throw new OptionError('missing --output FILE (JSONL)');
  const mode = flags.mode ?? 'streaming';
  if (mode !== 'streaming' && mode !== 'blocking') throw new OptionError(`--mode must be "streaming" or "blocking", got "${mode}"`);
  const rpm = flags.rpm === undefined ? undefined : numberOption(flags.rpm, '--rpm', 0, { min: 1 });
  return {
    input: flags.input,
    output: flags.output,
    retryOnly: flags.retry ?? false,
    waitSeconds: numberOption(flags.wait, '--wait', 0, { min: 0 }),
    concurrency: numberOption(flags.concurrency, '--concurrency', 5, { min: 1, integer: true }),
    rpm,
    mode,
    maxRetries: numberOption(flags.maxRetries ?? env.MAX_RETRIES, flags.maxRetries ? '--max-retries' : 'MAX_RETRIES', 3, { min: 0, integer: true }),
    initialRetryDelaySeconds: numberOption(env.INITIAL_RETRY_DELAY, 'INITIAL_RETRY_DELAY', 1, { min: 0 }),
    maxRetryDelaySeconds: numberOption(env.MAX_RETRY_DELAY, 'MAX_RETRY_DELAY', 60, { min: 0 }),
    timeoutSeconds: numberOption(flags.timeout ?? env.TIMEOUT, flags.timeout ? '--timeout' : 'TIMEOUT', 300, { min: 1 }),
    user: flags.user,
    workflowId: flags.workflowId ?? (env.DIFY_WORKFLOW_ID || undefined),
    dryRun: flags.dryRun ?? false,
    bom: flags.bom ?? false,
    quiet: flags.quiet ?? false,
    streamIdleTimeoutSeconds: 45,
  };
}

/** First Ctrl-C: stop gracefully. Second: leave at once (lines are written whole, so none is torn). */
function watchSignals(quiet: boolean) {
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  const watcher = watchInterrupts(
    () => {
      if (!quiet) process.stderr.write('\nStopping: no new rows; stopping in-flight runs on the server (Ctrl-C again to quit now)\n');
      interrupt.abort();
    },
    () => {
      hardStop.abort();
      process.stderr.write('\nQuitting now. Rows still in flight will be recovered when you run the same command again.\n');
    },
  );
  return { interrupt: interrupt.signal, hardStop: hardStop.signal, dispose: () => watcher.dispose() };
}
