/**
 * `difyrun batch`, start to finish. One row's path through the folders:
 *
 *   input/      read-rows (CSV/JSONL stream) → scan-input (ids, structure, pre-flight)
 *   prepare/    row-preparer (Dify's coercions and checks) → file-inputs (uploads)
 *   schedule/   adaptive-window (sliding window + AIMD) → rate-gate (rpm, --wait, Retry-After)
 *   execute/    run-row (attempts) → classify (what an error means) → recover (no re-runs)
 *   record/     journal (in flight) → ledger (output JSONL) → retry-file, compact
 *   report/     progress, summary
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DifyClient } from '../client/client.js';
import { EXIT } from '../exit-codes.js';
import { describeError } from '../client/describe-error.js';
import { inputVariables } from '../protocol/index.js';
import { IdTable } from './input/id-table.js';
import { InputError } from './input/input-error.js';
import { readRowBatches, type InputOptions, type InputRow } from './input/read-rows.js';
import { scanInput, type InputScan } from './input/scan-input.js';
import { FileUploader } from './prepare/file-inputs.js';
import { describeInputs, RowPreparer } from './prepare/row-preparer.js';
import { AdaptiveWindow } from './schedule/adaptive-window.js';
import { RateGate } from './schedule/rate-gate.js';
import { RowAbandoned, runRow, type ExecutionContext, type RowJob } from './execute/run-row.js';
import { DurableAppender, repairTornTail } from './record/durable-appender.js';
import { Journal, type InFlight } from './record/journal.js';
import { readLedger, ROW_FAILED, ROW_SUCCEEDED, type LedgerLine } from './record/ledger.js';
import { outcomeLine, type OutcomeRecord } from './record/outcome.js';
import { ProducedBy } from './record/produced-by.js';
import { RerunPolicy } from './record/rerun-policy.js';
import { annotateOutcome } from '../results/annotate-outcome.js';
import { readRetryFile, writeRetryFile } from './record/retry-file.js';
import { writeAtomically } from './record/write-atomically.js';
import { createProgress, type Progress } from './report/progress.js';
import { BatchStats, formatSummary, type BatchSummary } from './report/summary.js';

export interface BatchConfig {
  input: string;
  output: string;
  /** --retry: only the ids in `<output>.retry`. */
  retryOnly: boolean;
  waitSeconds: number;
  concurrency: number;
  rpm: number | undefined;
  mode: 'streaming' | 'blocking';
  maxRetries: number;
  initialRetryDelaySeconds: number;
  maxRetryDelaySeconds: number;
  timeoutSeconds: number;
  /** A fixed user for every row; default: a stable per-row user. */
  user: string | undefined;
  workflowId: string | undefined;
  dryRun: boolean;
  /** Run again every row that already succeeded / those produced by another workflow version. */
  rerunAll?: boolean;
  rerunOlderVersions?: boolean;
  bom: boolean;
  quiet: boolean;
  /** No bytes (not even a ping) for this long: the stream is treated as dropped. */
  streamIdleTimeoutSeconds: number;
  /** --delimiter, --encoding, --sheet (each detected or defaulted when absent). */
  inputOptions?: InputOptions;
}

export interface BatchIO {
  client: DifyClient;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** First Ctrl-C: stop scheduling, stop in-flight runs. */
  interrupt: AbortSignal;
  /** Second Ctrl-C: give up on everything now. */
  hardStop: AbortSignal;
}

export interface BatchResult {
  exitCode: number;
  summary: BatchSummary | undefined;
}

/** A problem with the command line or the input: one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The default `user` of a row: stable across runs, so the row can be found in Dify's logs. */
export function rowUser(id: string): string {
  return /^[\w.@:-]{1,64}$/.test(id) ? `difyrun-${id}` : `difyrun-${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

export async function runBatch(config: BatchConfig, io: BatchIO): Promise<BatchResult> {
  // Every in-flight request listens to these signals.
  setMaxListeners(0, io.interrupt, io.hardStop);
  const input = resolve(config.input);
  const output = resolve(config.output);
  if (input === output) throw new UsageError('--output must not be the input file');
  await checkReadable(config.input);
  await checkWritable(config.output);

  // 1. What already happened: repair a torn last line, rebuild state, find rows left in flight.
  const torn = config.dryRun ? 0 : await repairTornTail(output);
  if (torn > 0) io.stderr.write(`warning: removed a torn last line (${torn} bytes) left by a crash; kept in ${config.output}.torn\n`);
  const inFlight = await Journal.load(`${output}.journal`);
  // Rows left in flight whose outcome did reach the output are no longer in flight.
  const settleInFlight = (line: LedgerLine) => {
    const entry = inFlight.get(line.id)!;
    const resolved = (entry.runId !== undefined && line.workflow_run_id === entry.runId) || Date.parse(line.executed_at ?? '') >= entry.at;
    if (resolved) inFlight.delete(line.id);
  };
  const produced = new ProducedBy();
  const ledger = await readLedger(output, inFlight.size > 0 ? settleInFlight : undefined, (id) => inFlight.has(id), produced);
  const rerun = new RerunPolicy(produced, { rerunAll: config.rerunAll ?? false, rerunOlderVersions: config.rerunOlderVersions ?? false, workflowId: config.workflowId });
  if (ledger.badLines.length > 0) {
    io.stderr.write(`warning: ${config.output} has ${ledger.badLines.length} lines that are not JSON records (first: line ${ledger.badLines[0]}); they are left as they are\n`);
  }
  const retryIds = config.retryOnly ? await readRetryFile(`${output}.retry`) : undefined;
  if (config.retryOnly && retryIds === undefined && inFlight.size === 0) {
    io.stderr.write(`Nothing to retry: ${config.output}.retry does not exist (no failed rows).\n`);
    return { exitCode: EXIT.ok, summary: undefined };
  }

  // 2. Pre-flight: the app's inputs, then every row checked before anything runs.
  const parameters = await io.client.app.parameters();
  const preparer = new RowPreparer(inputVariables(parameters), dirname(input), { rowIds: true });
  const select = (row: InputRow): 'run' | 'succeeded' | 'skip' => {
    if (inFlight.has(row.id)) return 'run';
    if (ledger.rows.get(row.id) === ROW_SUCCEEDED) return rerun.runsAgain(row) ? 'run' : 'succeeded';
    return retryIds === undefined || retryIds.has(row.id) ? 'run' : 'skip';
  };
  const scan = await scanInput(config.input, preparer, select, config.inputOptions);
  if (scan.problemCount > 0) throw new UsageError(formatProblems(config.input, scan));
  for (const warning of scan.warnings) io.stderr.write(`warning: ${config.input}:${warning.line}: ${warning.message}\n`);
  rerun.stopCounting();
  if (!config.quiet) for (const line of rerun.describe()) io.stderr.write(`${line}\n`);
  if (scan.undeclared.length > 0) {
    io.stderr.write(
      `warning: ${plural(scan.undeclared.length, 'column')} not declared by the workflow (Dify ignores them): ${scan.undeclared.join(', ')}` +
        ` — declared inputs: ${preparer.variables.map((v) => v.variable).join(', ') || '(none)'}\n`,
    );
  }
  if (config.dryRun) return dryRun(config, io, scan, preparer);
  if (scan.invalidCount > 0 && !config.quiet) {
    for (const row of scan.invalid.slice(0, 5)) io.stderr.write(`warning: ${config.input}:${row.line}: id "${row.id}": ${row.message} (recorded as failed, not sent)\n`);
    if (scan.invalidCount > 5) io.stderr.write(`warning: … and ${scan.invalidCount - 5} more rows with invalid inputs (see --dry-run or the output's "error" field)\n`);
  }

  // 3. Execute.
  const stats = new BatchStats();
  const progress = createProgress(stats, { quiet: config.quiet, stream: io.stderr });
  const ledgerOut = await DurableAppender.open(output, { bom: config.bom });
  const journal = await Journal.open(`${output}.journal`);
  const runner = new BatchRunner(config, io, preparer, ledger.rows, journal, ledgerOut, stats, progress);
  runner.onRecorded = (outcome) => {
    const notice = rerun.notice(outcome);
    if (notice) progress.log(notice);
  };
  const rowsToProcess = scan.selected;
  const skipped = scan.alreadySucceeded;
  if (skipped > 0 && !config.quiet) progress.log(`Resuming: ${skipped} rows already succeeded in ${config.output} are skipped`);
  if (inFlight.size > 0 && !config.quiet) progress.log(`Recovering ${plural(inFlight.size, 'row')} left in flight by an earlier run (no re-execution)`);
  progress.start(rowsToProcess);
  try {
    // A row posted by a crashed process with no run id seen may or may not have run; Dify logs
    // a run only when it finishes. Looking those rows up last gives such a run time to land.
    const lookUpLast: [InputRow, InFlight][] = [];
    // The scan saw where the first row to run is; start reading there.
    const rows = scan.resumeAt === undefined ? [] : readRowBatches(config.input, undefined, scan.resumeAt);
    reading: for await (const batch of rows) {
      for (const item of batch.items) {
        if (item.kind !== 'row' || select(item) !== 'run') continue;
        if (runner.stopReason !== undefined) break reading;
        const left = inFlight.get(item.id);
        if (left && left.runId === undefined) lookUpLast.push([item, left]);
        else await runner.schedule(item, left);
      }
    }
    for (const [row, left] of lookUpLast) await runner.schedule(row, left);
    await runner.drain();
  } finally {
    progress.stop();
    await ledgerOut.close();
    await journal.close(runner.abandoned === 0);
  }
  await runner.auditDuplicates();

  // 4. Report.
  const failedIds = await writeRetryFile(`${output}.retry`, ledger.rows);
  const summary = stats.summarize({
    input: config.input,
    output: config.output,
    rowsInInput: scan.rows,
    rowsToProcess,
    skipped,
    stoppedReason: runner.stopReason ?? null,
    failedIdsFile: failedIds > 0 ? `${config.output}.retry` : null,
  });
  await writeAtomically(`${output}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  if (!config.quiet) io.stderr.write(`${formatSummary(summary)}\n`);
  const exitCode = io.interrupt.aborted
    ? EXIT.interrupted
    : runner.stopKind === 'fatal' || runner.stopKind === 'quota'
      ? EXIT.auth
      : failedIds > 0 || summary.not_started > 0
        ? EXIT.failed
        : summary.checks && summary.checks.rows_passed < summary.checks.rows
          ? EXIT.checks
          : EXIT.ok;
  return { exitCode, summary };
}

/** Schedules rows into the window and records each outcome as it lands. */
class BatchRunner {
  stopReason: string | undefined;
  stopKind: 'fatal' | 'quota' | 'interrupt' | undefined;
  abandoned = 0;
  /** Sees each outcome as recorded (the workflow-version notice). */
  onRecorded: ((outcome: OutcomeRecord) => void) | undefined;
  #starts = 0;
  readonly #window: AdaptiveWindow;
  readonly #ctx: ExecutionContext;
  readonly #uploader: FileUploader;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #recentLatencies: number[] = [];
  /** Rows whose ambiguous attempt was never found and were sent again: checked for duplicates at the end. */
  readonly #unresolved = new Map<string, { user: string; since: number }>();

  constructor(
    private readonly config: BatchConfig,
    private readonly io: BatchIO,
    private readonly preparer: RowPreparer,
    private readonly rows: IdTable,
    journal: Journal,
    private readonly ledgerOut: DurableAppender,
    private readonly stats: BatchStats,
    private readonly progress: Progress,
  ) {
    this.#window = new AdaptiveWindow(config.concurrency);
    this.#uploader = new FileUploader(io.client, config.user ?? 'difyrun-batch');
    const gate = new RateGate({ rpm: config.rpm, minSpacingMs: config.waitSeconds * 1000 });
    this.#ctx = {
      client: io.client,
      mode: config.mode,
      workflowId: config.workflowId,
      timeoutMs: config.timeoutSeconds * 1000,
      streamIdleTimeoutMs: config.streamIdleTimeoutSeconds * 1000,
      retry: {
        maxRetries: config.maxRetries,
        initialDelayMs: config.initialRetryDelaySeconds * 1000,
        maxDelayMs: config.maxRetryDelaySeconds * 1000,
      },
      journal,
      window: this.#window,
      gate,
      hardStop: io.hardStop,
      interrupt: io.interrupt,
      recoveryWaitMs: () => this.#recoveryWaitMs(),
      events: {
        onRetry: (_id, verdict) => {
          if (verdict.kind === 'overloaded' && !config.quiet && this.#window.limit < config.concurrency) {
            this.#note('overloaded', `Server said too many requests: concurrency lowered to ${this.#window.limit}`);
          }
        },
        onRecovered: (_id, extraRuns) => {
          stats.reexecutionsAvoided++;
          stats.duplicateExecutions += extraRuns;
        },
        onUnresolved: (id, user, since) => {
          if (!this.#unresolved.has(id)) this.#unresolved.set(id, { user, since });
        },
        onQuota: (error) => this.#stop('quota', `quota exhausted (${error.message}); in-flight rows were finished, unstarted rows were not run`),
        onFatal: (cause) => this.#stop('fatal', describeError(cause, io.client.baseURL)),
      },
    };
    io.interrupt.addEventListener('abort', () => {
      this.#stop('interrupt', 'interrupted (Ctrl-C): in-flight runs were stopped; run the same command again to resume', { announce: false });
      this.#window.wakeAll();
    });
  }

  async schedule(row: InputRow, inFlight: InFlight | undefined): Promise<void> {
    const prepared = this.preparer.prepare(row);
    const recordInputs = { id: row.id, ...row.values };
    if (!prepared.ok && !inFlight) {
      await this.#record({
        id: row.id, status: 'failed', inputs: recordInputs, outputs: null, workflow_run_id: null,
        executed_at: new Date().toISOString(), retry_count: 0, task_id: null, workflow_status: null,
        error: { code: 'invalid_input', message: `column "${prepared.column}": ${prepared.message}`, http_status: null },
        elapsed_time: null, total_tokens: null, total_price: null, currency: null, latency_ms: 0, attempts: 0,
      });
      return;
    }
    await this.#window.acquire();
    // The first window of rows starts staggered, not all at once: rows that start together
    // finish together, and then each waits for the others' responses to be handled.
    if (this.#starts++ > 0 && this.#starts <= this.config.concurrency) await delay(1);
    if (this.stopReason !== undefined && !inFlight) {
      this.#window.release();
      return;
    }
    this.stats.rowSent();
    const job: RowJob = {
      id: row.id,
      user: this.config.user ?? inFlight?.user ?? rowUser(row.id),
      recordInputs,
      inputs: () => (prepared.ok ? this.preparer.resolveFiles(prepared.inputs, this.#uploader) : Promise.reject(new Error(prepared.message))),
      inFlight,
    };
    let released = false;
    const release = () => {
      if (!released) this.#window.release();
      released = true;
    };
    const task = runRow(job, this.#ctx)
      .then((outcome) => {
        // The next row may start while this outcome is being synced: the journal covers a crash meanwhile.
        release();
        return this.#record(outcome);
      })
      .catch((error: unknown) => {
        if (error instanceof RowAbandoned) this.abandoned++;
        else this.progress.log(`row ${row.id}: ${describeError(error, this.io.client.baseURL)}`);
      })
      .finally(() => {
        release();
        this.#inFlight.delete(task);
      });
    this.#inFlight.add(task);
  }

  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
  }

  /** Rows sent again after an attempt nobody could find: count the runs Dify really has for them. */
  async auditDuplicates(): Promise<void> {
    for (const { user, since } of this.#unresolved.values()) {
      try {
        const page = await this.io.client.workflows.logs({ endUserSessionId: user, createdAtAfter: new Date(since - 1000), limit: 100 });
        this.stats.duplicateExecutions += Math.max(0, page.data.length - 1);
      } catch {
        // The audit is informational; a failure here must not change the batch's outcome.
      }
    }
  }

  async #record(result: OutcomeRecord): Promise<void> {
    // The fingerprint a resume compares, and the row's checks of its expected outputs.
    const outcome = annotateOutcome(result, result.inputs);
    await this.ledgerOut.append(outcomeLine(outcome));
    this.onRecorded?.(outcome);
    // Only what .retry needs: failures, and ids whose earlier failure this success replaces.
    // (Each input id runs at most once per batch, so successes need no memory of their own.)
    if (outcome.status !== 'success') this.rows.set(outcome.id, ROW_FAILED);
    else if (this.rows.has(outcome.id)) this.rows.set(outcome.id, ROW_SUCCEEDED);
    this.stats.record(outcome);
    if (outcome.status === 'success' && outcome.attempts > 0) {
      this.#recentLatencies.push(outcome.latency_ms);
      if (this.#recentLatencies.length > 200) this.#recentLatencies.shift();
    }
    this.progress.update();
  }

  /**
   * Wait for a possibly running run: 3× the p95 of recent rows + 5 s, within --timeout; before
   * 10 rows have finished, up to a minute (a run that is not in the logs by then is sent again,
   * and the end-of-batch audit counts it if it was a duplicate).
   */
  #recoveryWaitMs(): number {
    const timeout = this.config.timeoutSeconds * 1000;
    if (this.#recentLatencies.length < 10) return Math.min(timeout, 60_000);
    const sorted = [...this.#recentLatencies].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)]!;
    return Math.min(timeout, Math.max(5000, 3 * p95 + 5000));
  }

  /** Stops scheduling. `announce: false` when the caller already told the user (Ctrl-C). */
  #stop(kind: 'fatal' | 'quota' | 'interrupt', reason: string, options = { announce: true }): void {
    if (this.stopReason !== undefined) return;
    this.stopKind = kind;
    this.stopReason = reason;
    if (options.announce) this.progress.log(`Stopping: ${reason}`);
  }

  readonly #notes = new Set<string>();
  #note(key: string, message: string): void {
    if (this.#notes.has(key)) return;
    this.#notes.add(key);
    this.progress.log(message);
  }
}

function dryRun(config: BatchConfig, io: BatchIO, scan: InputScan, preparer: RowPreparer): BatchResult {
  const out = io.stdout;
  out.write(`Dry run: ${scan.rows} rows in ${config.input}, ${scan.rows - scan.invalidCount} valid, ${scan.invalidCount} invalid. Nothing was run.\n`);
  for (const row of scan.firstValid) {
    const prepared = preparer.prepare(row);
    if (!prepared.ok) continue;
    const body = {
      inputs: describeInputs(prepared.inputs),
      response_mode: config.mode,
      user: config.user ?? rowUser(row.id),
    };
    out.write(`\nPOST ${config.workflowId ? `/workflows/${config.workflowId}/run` : '/workflows/run'} (row "${row.id}", line ${row.line})\n${JSON.stringify(body, null, 2)}\n`);
  }
  if (scan.invalidCount > 0) {
    out.write(`\nRows that would fail validation (recorded as failed, not sent):\n`);
    for (const problem of scan.invalid) out.write(`  ${config.input}:${problem.line}: id "${problem.id}": ${problem.message}\n`);
    if (scan.invalidCount > scan.invalid.length) out.write(`  … and ${scan.invalidCount - scan.invalid.length} more\n`);
  }
  return { exitCode: scan.invalidCount > 0 ? EXIT.failed : EXIT.ok, summary: undefined };
}

function formatProblems(file: string, scan: InputScan): string {
  const lines = scan.problems.map((problem) => `${file}:${problem.line}: ${problem.message}`);
  if (scan.problemCount > scan.problems.length) lines.push(`… and ${scan.problemCount - scan.problems.length} more problems`);
  lines.push(`${plural(scan.problemCount, 'problem')} in ${file}; nothing was run or written.`);
  return lines.join('\n');
}

async function checkReadable(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    throw new InputError(file, undefined, `cannot read the input file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function checkWritable(file: string): Promise<void> {
  try {
    await access(file, constants.W_OK);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`--output ${file}: cannot write to the file (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    await access(dirname(resolve(file)), constants.W_OK);
  } catch (error) {
    throw new UsageError(`--output ${file}: cannot create the file in ${dirname(file)} (${(error as NodeJS.ErrnoException).code})`);
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
