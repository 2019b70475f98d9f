/**
 * `difyrun batch --queue redis://…`: the same batch as a local one (pre-flight, output JSONL,
 * `.retry`, summary), with the rows run by `difyrun worker` processes on any number of hosts.
 *
 *   catch up     outcomes workers recorded while no submitter was running → the output
 *   pre-flight   the app's inputs, every row checked (as a local batch)
 *   queue        rows not yet succeeded → the app's queue, a bounded window ahead
 *   collect      outcomes → the output (synced) → acknowledged in Redis
 *   report       .retry, summary; the batch's Redis keys removed when nothing is left of it
 *
 * Killed at any point, the same command resumes: rows that succeeded are never queued again,
 * rows in flight stay with their workers, and outcomes wait in Redis until they are written.
 */
import { hostname } from 'node:os';
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { EXIT } from '../../exit-codes.js';
import { runBatch, rowUser, FileUploader, inputWarnings, invalidRowWarnings, type BatchConfig, type BatchIO, type BatchResult } from '../../batch/index.js';
import { readRowBatches } from '../../batch/input/read-rows.js';
import type { InputScan } from '../../batch/input/scan-input.js';
import { DurableAppender, repairTornTail } from '../../batch/record/durable-appender.js';
import { readLedger } from '../../batch/record/ledger.js';
import { writeRetryFile } from '../../batch/record/retry-file.js';
import { writeAtomically } from '../../batch/record/write-atomically.js';
import { createProgress } from '../../batch/report/progress.js';
import { BatchStats, formatSummary } from '../../batch/report/summary.js';
import { beginGeneration, type RowSettings } from '../batch-record.js';
import { connectQueue, type QueueConnection } from '../connection.js';
import { appRef, batchIdFor, keys, type AppRef } from '../keys.js';
import { GlobalRateGate } from '../limits/global-rate-gate.js';
import { GlobalWindow } from '../limits/global-window.js';
import { OutcomeReader } from '../outcome-stream.js';
import { appQueue, type RowJobData } from '../row-job.js';
import { RedisRowState } from '../row-state.js';
import { BatchWatch } from './batch-watch.js';
import { OutcomeSink } from './outcome-sink.js';
import { preflight, type Preflight } from './preflight.js';
import { RowFeeder } from './row-feeder.js';
import { Serial } from './serial.js';
import { plural } from '../../util/plural.js';

export interface QueueTarget {
  connection: QueueConnection;
  /** The app the rows run on, named by base URL and key fingerprint. */
  app: AppRef;
}

export async function submitBatch(config: BatchConfig, io: BatchIO, target: QueueTarget): Promise<BatchResult> {
  // A dry run sends nothing and needs no queue.
  if (config.dryRun) return runBatch(config, io);
  setMaxListeners(0, io.interrupt, io.hardStop);
  const { connection, app } = target;
  const redis = connection.redis;
  const output = resolve(config.output);
  const batchId = batchIdFor(output);
  const log = (message: string) => io.stderr.write(`${message}\n`);

  const torn = await repairTornTail(output);
  if (torn > 0) log(`warning: removed a torn last line (${torn} bytes) left by a crash; kept in ${config.output}.torn`);
  const ledger = await readLedger(output);
  const stats = new BatchStats();
  const progress = createProgress(stats, { quiet: config.quiet, stream: io.stderr });
  connection.reportOutages((line) => progress.log(line));
  const ledgerOut = await DurableAppender.open(output, { bom: config.bom });
  const queue = appQueue(redis, app.appId);
  const reader = new OutcomeReader(connection.duplicate(), batchId);
  const serial = new Serial();
  const sink = new OutcomeSink({ reader, output: ledgerOut, ledger: ledger.rows, stats, progress, queue, batchId, serial });
  let watch: BatchWatch | undefined;
  let scan: InputScan;
  try {
    await reader.open();
    const caughtUp = await sink.catchUp();
    if (caughtUp > 0 && !config.quiet) log(`Wrote ${caughtUp} outcomes that workers recorded while no submitter was running`);

    const inFlight = new Set(await new RedisRowState(redis, batchId).ids());
    const checked = await preflight(config, io.client, ledger.rows, inFlight);
    if (!checked) {
      log(`Nothing to retry: ${config.output}.retry does not exist (no failed rows).`);
      return { exitCode: EXIT.ok, summary: undefined };
    }
    scan = checked.scan;
    warn(config, checked, log);

    // The app and its limits, shared by every worker; a new generation of this batch.
    await redis.hset(keys.apps, app.appId, JSON.stringify(app));
    const generation = await beginGeneration(redis, { batchId, app, settings: rowSettings(config), label: `${hostname()}:${output}` });
    await GlobalWindow.reset(redis, app.appId, config.concurrency);
    await queue.setGlobalConcurrency(config.concurrency);
    await GlobalRateGate.configure(redis, app.appId, { rpm: config.rpm, minSpacingMs: config.waitSeconds * 1000 });

    if (scan.alreadySucceeded > 0 && !config.quiet)
      progress.log(`Resuming: skipping ${plural(scan.alreadySucceeded, 'row')} that already succeeded in ${config.output}`);
    if (inFlight.size > 0 && !config.quiet) progress.log(`${plural(inFlight.size, 'row')} in flight on workers since an earlier run: recovered, not run again`);
    const feeder = new RowFeeder(queue, sink, serial, Math.max(500, config.concurrency * 4));
    watch = new BatchWatch({ redis, batchId, generation, app, sink, feeder, queue, serial, interrupt: io.interrupt, log: (message) => progress.log(message) });
    progress.start({ total: scan.rows, done: scan.rows - scan.selected, inFlight: () => sink.outstanding.size });
    await queueRows(config, io, checked, { batchId, generation, inFlight, sink, feeder, stats });
    await watch.finished();
    await watch.close();
    if (sink.outstanding.size === 0 && (await sink.removeLeftoverJobs())) await forgetBatch(connection, batchId);
  } finally {
    await watch?.close();
    progress.stop();
    await ledgerOut.close();
    await reader.close();
    await queue.close();
  }
  await sink.auditDuplicates(io.client);
  return report(config, { output, ledgerRows: ledger.rows, stats, scan, watch, interrupted: io.interrupt.aborted, stderr: io.stderr });
}

interface QueueingParts {
  batchId: string;
  generation: number;
  inFlight: Set<string>;
  sink: OutcomeSink;
  feeder: RowFeeder;
  stats: BatchStats;
}

/** Every selected row: recorded failed here when it cannot be sent, else queued with its files uploaded. */
async function queueRows(config: BatchConfig, io: BatchIO, checked: Preflight, parts: QueueingParts): Promise<void> {
  const { scan, preparer, select } = checked;
  const { sink, feeder } = parts;
  const uploader = new FileUploader(io.client, config.user ?? 'difyrun-batch');
  const rows = scan.resumeAt === undefined ? [] : readRowBatches(config.input, undefined, scan.resumeAt);
  for await (const batch of rows) {
    for (const row of batch.items) {
      if (row.kind !== 'row' || select(row) !== 'run') continue;
      if (feeder.stopped) return;
      parts.stats.rowSent();
      const record = { id: row.id, ...row.values };
      const job: RowJobData = { b: parts.batchId, g: parts.generation, id: row.id, user: config.user ?? rowUser(row.id), inputs: {}, record };
      // A row a worker holds is recovered from the server whatever its inputs are now.
      if (!parts.inFlight.has(row.id)) {
        const prepared = preparer.prepare(row);
        if (!prepared.ok) {
          await sink.recordUnsent(row.id, record, { code: 'invalid_input', message: `column "${prepared.column}": ${prepared.message}`, http_status: null });
          continue;
        }
        try {
          job.inputs = await preparer.resolveFiles(prepared.inputs, uploader);
        } catch (error) {
          await sink.recordUnsent(row.id, record, { code: 'file_upload_failed', message: (error as Error).message, http_status: null });
          continue;
        }
      }
      await feeder.add(job);
    }
  }
  await feeder.flush();
}

function warn(config: BatchConfig, checked: Preflight, log: (message: string) => void): void {
  for (const line of inputWarnings(config, checked)) log(line);
  if (!config.quiet) for (const line of invalidRowWarnings(config, checked.scan)) log(line);
}

/** Nothing of the batch is left in Redis once no row of it is queued or in flight. */
async function forgetBatch(connection: QueueConnection, batchId: string): Promise<void> {
  const redis = connection.redis;
  if ((await redis.hlen(keys.inflight(batchId))) > 0) return;
  await redis.del(keys.batch(batchId), keys.inflight(batchId), keys.outcomes(batchId), keys.done(batchId));
}

async function report(
  config: BatchConfig,
  parts: {
    output: string;
    ledgerRows: Parameters<typeof writeRetryFile>[1];
    stats: BatchStats;
    scan: InputScan;
    watch: BatchWatch | undefined;
    interrupted: boolean;
    stderr: NodeJS.WriteStream;
  },
): Promise<BatchResult> {
  const failedIds = await writeRetryFile(`${parts.output}.retry`, parts.ledgerRows);
  const summary = parts.stats.summarize({
    input: config.input,
    output: config.output,
    rowsInInput: parts.scan.rows,
    rowsToProcess: parts.scan.selected,
    skipped: parts.scan.alreadySucceeded,
    stoppedReason: parts.watch?.stopReason ?? null,
    failedIdsFile: failedIds > 0 ? `${config.output}.retry` : null,
    mode: { requested: config.mode, reason: config.mode === 'auto' ? 'auto: each worker chose from the runs it saw' : `--mode ${config.mode}` },
  });
  await writeAtomically(`${parts.output}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  if (!config.quiet) parts.stderr.write(`${formatSummary(summary)}\n`);
  const stopKind = parts.watch?.stopKind;
  const exitCode = parts.interrupted
    ? EXIT.interrupted
    : stopKind === 'fatal' || stopKind === 'quota'
      ? EXIT.auth
      : failedIds > 0 || summary.not_started > 0
        ? EXIT.failed
        : EXIT.ok;
  return { exitCode, summary };
}

function rowSettings(config: BatchConfig): RowSettings {
  return {
    mode: config.mode,
    workflowId: config.workflowId,
    timeoutSeconds: config.timeoutSeconds,
    streamIdleTimeoutSeconds: config.streamIdleTimeoutSeconds,
    maxRetries: config.maxRetries,
    initialRetryDelaySeconds: config.initialRetryDelaySeconds,
    maxRetryDelaySeconds: config.maxRetryDelaySeconds,
  };
}

/** Connects to the queue at `url` and submits the batch; the app is the client's base URL with `apiKey`'s fingerprint. */
export async function submitToQueue(url: string, config: BatchConfig, io: BatchIO, apiKey: string): Promise<BatchResult> {
  if (config.dryRun) return runBatch(config, io);
  const connection = await connectQueue(url);
  try {
    return await submitBatch(config, io, { connection, app: appRef(io.client.baseURL, apiKey) });
  } finally {
    await connection.close();
  }
}
