/**
 * `difyrun batch`, start to finish. One row's path through the folders:
 *
 *   input/      read-rows (CSV/TSV/JSONL/XLSX stream) → scan-input (ids, structure), via preflight.ts
 *   prepare/    row-preparer (Dify's coercions and checks) → file-inputs (uploads)
 *   schedule/   row-scheduler (rows in flight, stop, mode) → pacing (adaptive window + rate gate)
 *   execute/    execute-row (attempts) → classify (what an error means) → next-step (pure
 *               decision) → recover (find the run instead of running it again)
 *   record/     journal (in flight) → ledger (output JSONL) → retry-file, compact
 *   report/     progress, summary
 * docs/architecture.md names the file that owns each step and each piece of state.
 */
import { setMaxListeners } from 'node:events';
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DifyClient } from '../client/client.js';
import { EXIT } from '../exit-codes.js';
import type { BatchConfig } from './config.js';
import { rowUser } from './execute/row-user.js';
import { FingerprintsAhead } from './input/fingerprints-ahead.js';
import { InputError } from './input/input-error.js';
import { readRowBatches, type InputRow } from './input/read-rows.js';
import type { InputScan } from './input/scan-input.js';
import { checkInput, inputWarnings, invalidRowWarnings, requestParameters, selectRows } from './preflight.js';
import { FileUploader } from './prepare/file-inputs.js';
import { describeInputs, type RowPreparer } from './prepare/row-preparer.js';
import { DurableAppender, repairTornTail } from './record/durable-appender.js';
import { Journal } from './record/journal.js';
import { LedgerWriter, readLedger, type LedgerLine } from './record/ledger.js';
import { ProducedBy } from './record/produced-by.js';
import { RerunPolicy } from './record/rerun-policy.js';
import { annotateOutcome } from '../results/annotate-outcome.js';
import { readRetryFile, writeRetryFile } from './record/retry-file.js';
import { writeAtomically } from './record/write-atomically.js';
import { createProgress } from './report/progress.js';
import { BatchStats, formatSummary, type BatchSummary } from './report/summary.js';
import { RowScheduler, type SchedulerResult } from './schedule/row-scheduler.js';
import { UsageError } from './usage-error.js';
import { plural } from '../util/plural.js';

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

export async function runBatch(config: BatchConfig, io: BatchIO): Promise<BatchResult> {
  // Every in-flight request listens to these signals.
  setMaxListeners(0, io.interrupt, io.hardStop);
  const input = resolve(config.input);
  const output = resolve(config.output);
  if (input === output) throw new UsageError('--output must not be the input file');
  await checkReadable(config.input);
  await checkWritable(config.output);

  // The app's inputs are asked for now, while the output is read (long on a resume; a round trip to Dify either way).
  const parameters = requestParameters(io.client);
  const earlier = await readEarlierRuns(config, input, output, io).catch((error: unknown) => {
    parameters.abandon();
    throw error;
  });
  if (earlier === undefined) {
    parameters.abandon();
    return { exitCode: EXIT.ok, summary: undefined };
  }
  const { inFlight, ledger, rerun, retryIds, ahead } = earlier;

  // 2. Pre-flight: the app's inputs, then every row checked before anything runs.
  // Rows left in flight are recovered first; the scan finds them in the file.
  const leftInFlight: InputRow[] = [];
  const choose = selectRows({ inFlight, ledger: ledger.rows, retryIds, rerun });
  const select = (row: InputRow) => {
    if (inFlight.has(row.id)) leftInFlight.push(row);
    return choose(row);
  };
  const checked = await checkInput(config, parameters.result, select).finally(() => ahead?.stop());
  const { scan, preparer } = checked;
  rerun.stopCounting();
  if (!config.quiet) for (const line of rerun.describe()) io.stderr.write(`${line}\n`);
  for (const line of inputWarnings(config, checked)) io.stderr.write(`${line}\n`);
  if (config.dryRun) return dryRun(config, io, scan, preparer);
  if (!config.quiet) for (const line of invalidRowWarnings(config, scan)) io.stderr.write(`${line}\n`);

  // 3. Execute: rows an earlier run left in flight first, then the rest in file order.
  const stats = new BatchStats();
  const progress = createProgress(stats, { quiet: config.quiet, stream: io.stderr });
  // Each line carries its checks of expected outputs and its input fingerprint (for a resume).
  const ledgerOut = new LedgerWriter(
    await DurableAppender.open(output, { bom: config.bom }),
    ledger.rows,
    (outcome) => annotateOutcome(outcome, outcome.inputs),
    (outcome) => {
      const notice = rerun.notice(outcome);
      if (notice) progress.log(notice);
    },
  );
  const journal = await Journal.open(`${output}.journal`);
  const scheduler = new RowScheduler({
    config,
    client: io.client,
    interrupt: io.interrupt,
    hardStop: io.hardStop,
    preparer,
    uploader: new FileUploader(io.client, config.user ?? 'difyrun-batch'),
    journal,
    ledger: ledgerOut,
    stats,
    progress,
  });
  const skipped = scan.alreadySucceeded;
  if (skipped > 0 && !config.quiet) progress.log(`Resuming: skipping ${plural(skipped, 'row')} that already succeeded in ${config.output}`);
  if (inFlight.size > 0 && !config.quiet) progress.log(`Recovering ${plural(inFlight.size, 'row')} left in flight by an earlier run (no re-execution)`);
  progress.start({ total: scan.rows, done: scan.rows - scan.selected, inFlight: () => scheduler.inFlight });
  let ended: SchedulerResult;
  try {
    for (const row of leftInFlight) if (!scheduler.stopped) await scheduler.schedule(row, inFlight.get(row.id));
    // The scan saw where the first row to run is; start reading there.
    const rows = scan.resumeAt === undefined || scheduler.stopped ? [] : readRowBatches(config.input, undefined, scan.resumeAt);
    reading: for await (const batch of rows) {
      for (const item of batch.items) {
        if (item.kind !== 'row' || inFlight.has(item.id) || select(item) !== 'run') continue;
        if (scheduler.stopped) break reading;
        await scheduler.schedule(item, undefined);
      }
    }
  } finally {
    ended = await scheduler.finish();
    progress.stop();
    // Every outcome line was synced before its row settled, so the journal need not wait for the output's close.
    await Promise.all([ledgerOut.close(), journal.close(ended.abandoned === 0)]);
  }
  // With a fixed --user every row shares one user, so the logs cannot say which runs were whose.
  if (config.user === undefined) await auditDuplicates(io.client, ended.unresolved, stats);

  // 4. Report.
  const failedIds = await writeRetryFile(`${output}.retry`, ledger.rows);
  const summary = stats.summarize({
    input: config.input,
    output: config.output,
    rowsInInput: scan.rows,
    rowsToProcess: scan.selected,
    skipped,
    stoppedReason: stopReason(ended),
    failedIdsFile: failedIds > 0 ? `${config.output}.retry` : null,
    mode: { requested: config.mode, reason: ended.mode.reason },
  });
  await writeAtomically(`${output}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  if (!config.quiet) io.stderr.write(`${formatSummary(summary)}\n`);
  const exitCode = io.interrupt.aborted
    ? EXIT.interrupted
    : ended.stop?.kind === 'fatal' || ended.stop?.kind === 'quota'
      ? EXIT.auth
      : failedIds > 0 || summary.not_started > 0
        ? EXIT.failed
        : summary.checks && summary.checks.rows_passed < summary.checks.rows
          ? EXIT.checks
          : EXIT.ok;
  return { exitCode, summary };
}

/**
 * 1. What already happened: repair a torn last line, rebuild the output's state, find rows left
 * in flight. Undefined: --retry with nothing to retry (said on stderr).
 */
async function readEarlierRuns(config: BatchConfig, input: string, output: string, io: BatchIO) {
  const torn = config.dryRun ? 0 : await repairTornTail(output);
  if (torn > 0) io.stderr.write(`warning: removed a torn last line (${torn} bytes) left by a crash; kept in ${config.output}.torn\n`);
  const inFlight = await Journal.load(`${output}.journal`);
  // Rows left in flight whose outcome did reach the output are no longer in flight.
  const settleInFlight = (line: LedgerLine) => {
    const entry = inFlight.get(line.id)!;
    const resolved = (entry.runId !== undefined && line.workflow_run_id === entry.runId) || Date.parse(line.executed_at ?? '') >= entry.at;
    if (resolved) inFlight.delete(line.id);
  };
  // Over an output that records input fingerprints, the input's rows are fingerprinted on the second core meanwhile.
  const ahead = config.rerunAll ? undefined : await FingerprintsAhead.startIfRecorded(input, output, config.inputOptions ?? {});
  const produced = new ProducedBy();
  const ledger = await readLedger(output, inFlight.size > 0 ? settleInFlight : undefined, (id) => inFlight.has(id), produced).catch(async (error: unknown) => {
    await ahead?.stop();
    throw error;
  });
  const rerun = new RerunPolicy(produced, {
    rerunAll: config.rerunAll,
    rerunOlderVersions: config.rerunOlderVersions,
    workflowId: config.workflowId,
    knownVersion: config.knownWorkflowVersion,
    ahead,
  });
  const versionNotice = rerun.noticeBeforeRun();
  if (versionNotice && !config.quiet) io.stderr.write(`${versionNotice}\n`);
  if (ledger.badLines.length > 0) {
    io.stderr.write(
      `warning: ${config.output} has ${ledger.badLines.length} lines that are not JSON records (first: line ${ledger.badLines[0]}); they are left as they are\n`,
    );
  }
  const retryIds = config.retryOnly ? await readRetryFile(`${output}.retry`) : undefined;
  if (config.retryOnly && retryIds === undefined && inFlight.size === 0) {
    io.stderr.write(`Nothing to retry: ${config.output}.retry does not exist (no failed rows).\n`);
    await ahead?.stop();
    return undefined;
  }
  return { inFlight, ledger, rerun, retryIds, ahead };
}

/** Why scheduling stopped, saying what happened to the runs that were in flight. */
function stopReason(ended: SchedulerResult): string | null {
  if (ended.stop === undefined) return null;
  if (ended.stop.kind !== 'interrupt') return ended.stop.reason;
  const parts: string[] = [];
  if (ended.stoppedRuns > 0) parts.push(`${plural(ended.stoppedRuns, 'in-flight run')} stopped on the server`);
  if (ended.finishedAfterInterrupt > 0) parts.push(`${plural(ended.finishedAfterInterrupt, 'row')} in flight finished and recorded`);
  if (ended.abandoned > 0) parts.push(`${plural(ended.abandoned, 'row')} left in flight, recovered on the next run`);
  const what = parts.length > 0 ? parts.join(', ') : 'no runs were in flight';
  return `interrupted (Ctrl-C): ${what}; run the same command again to resume`;
}

/** Rows sent again after an attempt nobody could find: count the runs Dify really has for them. */
async function auditDuplicates(client: DifyClient, unresolved: Map<string, number>, stats: BatchStats): Promise<void> {
  for (const [user, since] of unresolved) {
    try {
      const page = await client.workflows.logs({ endUserSessionId: user, createdAtAfter: new Date(since - 1000), limit: 100 });
      stats.duplicateExecutions += Math.max(0, page.data.length - 1);
    } catch {
      // The audit is informational; a failure here must not change the batch's outcome.
    }
  }
}

function dryRun(config: BatchConfig, io: BatchIO, scan: InputScan, preparer: RowPreparer): BatchResult {
  const out = io.stdout;
  out.write(
    `Dry run: ${plural(scan.rows, 'row')} in ${config.input}, ${scan.rows - scan.invalidCount} valid, ${scan.invalidCount} invalid. Nothing was run.\n`,
  );
  for (const row of scan.firstValid) {
    const prepared = preparer.prepare(row);
    if (!prepared.ok) continue;
    const body = {
      inputs: describeInputs(prepared.inputs),
      response_mode: config.mode === 'blocking' ? 'blocking' : 'streaming',
      user: config.user ?? rowUser(row.id),
    };
    out.write(
      `\nPOST ${config.workflowId ? `/workflows/${config.workflowId}/run` : '/workflows/run'} (row "${row.id}", line ${row.line})\n${JSON.stringify(body, null, 2)}\n`,
    );
  }
  if (scan.invalidCount > 0) {
    out.write(`\nRows that would fail validation (recorded as failed, not sent):\n`);
    for (const problem of scan.invalid) out.write(`  ${config.input}:${problem.line}: id "${problem.id}": ${problem.message}\n`);
    if (scan.invalidCount > scan.invalid.length) out.write(`  … and ${scan.invalidCount - scan.invalid.length} more\n`);
  }
  return { exitCode: scan.invalidCount > 0 ? EXIT.failed : EXIT.ok, summary: undefined };
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
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`--output ${file}: cannot write to the file (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    await access(dirname(resolve(file)), constants.W_OK);
  } catch (error) {
    throw new UsageError(`--output ${file}: cannot create the file in ${dirname(file)} (${(error as NodeJS.ErrnoException).code})`);
  }
}
