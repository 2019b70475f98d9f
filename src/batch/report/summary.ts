/** Counts and measures a batch as rows finish, and renders the summary (text and JSON). */
// The package's index also loads its WebAssembly build, encoders and log reader/writer (17% of a
// dry run's CPU); the summary needs only the plain-JS histogram.
import int32Histogram from 'hdr-histogram-js/dist/Int32Histogram.js';
import type { OutcomeRecord } from '../record/outcome.js';
import { emptyTally, formatPassRate, tallyRow } from '../../results/expectations/evaluate.js';
import { plural } from '../../util/plural.js';

export interface BatchSummary {
  input: string;
  output: string;
  rows_in_input: number;
  /** Rows this run set out to process (not already succeeded, or in .retry with --retry). */
  rows_to_process: number;
  skipped_already_succeeded: number;
  succeeded: number;
  failed: number;
  invalid_inputs: number;
  stopped: number;
  not_started: number;
  attempts: number;
  retries: number;
  /** Rows whose outcome was recovered from the server instead of running them again. */
  reexecutions_avoided: number;
  /** Server runs we know were executed more than once for the same row. */
  duplicate_executions: number;
  total_tokens: number;
  total_price: number;
  currency: string | null;
  latency_ms: { p50: number; p90: number; p99: number; max: number } | null;
  top_errors: { code: string; count: number }[];
  /** Expected outputs (expect… columns): rows whose checks all passed, and single assertions; null without any. */
  checks: { rows_passed: number; rows: number; assertions_passed: number; assertions: number } | null;
  wall_time_s: number;
  rows_per_s: number;
  stopped_reason: string | null;
  failed_ids_file: string | null;
  /** The --mode asked for, and which response mode the rows ran in and why. */
  mode: { requested: string; streaming_rows: number; blocking_rows: number; reason: string };
}

export class BatchStats {
  succeeded = 0;
  failed = 0;
  invalid = 0;
  stopped = 0;
  attempts = 0;
  retries = 0;
  reexecutionsAvoided = 0;
  duplicateExecutions = 0;
  tokens = 0;
  price = 0;
  currency: string | null = null;
  readonly #errors = new Map<string, number>();
  readonly checks = emptyTally();
  /** Latencies in an HDR histogram (3 significant digits, up to an hour): constant memory for any row count. */
  readonly #latencies = new int32Histogram.default(1, 3_600_000, 3);
  readonly startedAt = Date.now();
  /** From the first row sent to the last outcome: the span rows/s is measured over. */
  #firstSentAt: number | undefined;
  #firstOutcomeAt: number | undefined;
  #lastOutcomeAt: number | undefined;
  #streamingRows = 0;
  #blockingRows = 0;

  /** When this run's first outcome landed (the progress line's pace starts there). */
  get firstOutcomeAt(): number | undefined {
    return this.#firstOutcomeAt;
  }

  /** A row's last attempt ran in this mode. */
  ranIn(mode: 'streaming' | 'blocking'): void {
    if (mode === 'streaming') this.#streamingRows++;
    else this.#blockingRows++;
  }

  rowSent(): void {
    this.#firstSentAt ??= Date.now();
  }

  get done(): number {
    return this.succeeded + this.failed;
  }

  record(outcome: OutcomeRecord): void {
    this.#lastOutcomeAt = Date.now();
    this.#firstOutcomeAt ??= this.#lastOutcomeAt;
    if (outcome.status === 'success') this.succeeded++;
    else this.failed++;
    if (outcome.error?.code === 'invalid_input') this.invalid++;
    if (outcome.workflow_status === 'stopped') this.stopped++;
    this.attempts += outcome.attempts;
    this.retries += outcome.retry_count;
    this.tokens += outcome.total_tokens ?? 0;
    this.price += outcome.total_price ?? 0;
    this.currency ??= outcome.currency;
    if (outcome.error) this.#errors.set(outcome.error.code, (this.#errors.get(outcome.error.code) ?? 0) + 1);
    if (outcome.attempts > 0) this.#addLatency(outcome.latency_ms);
    if (outcome.assertions) tallyRow(this.checks, outcome.assertions);
  }

  #rate(): number {
    const span = ((this.#lastOutcomeAt ?? Date.now()) - (this.#firstSentAt ?? this.startedAt)) / 1000;
    return span > 0 ? this.done / span : 0;
  }

  #addLatency(ms: number): void {
    this.#latencies.recordValue(Math.min(3_600_000, Math.max(1, Math.round(ms))));
  }

  summarize(context: {
    input: string;
    output: string;
    rowsInInput: number;
    rowsToProcess: number;
    skipped: number;
    stoppedReason: string | null;
    failedIdsFile: string | null;
    mode: { requested: string; reason: string };
  }): BatchSummary {
    const wall = (Date.now() - this.startedAt) / 1000;
    const latencies = this.#latencies;
    // The histogram answers with its bucket's upper edge, which can exceed the exact maximum.
    const at = (p: number) => Math.min(latencies.getValueAtPercentile(p), latencies.maxValue);
    return {
      input: context.input,
      output: context.output,
      rows_in_input: context.rowsInInput,
      rows_to_process: context.rowsToProcess,
      skipped_already_succeeded: context.skipped,
      succeeded: this.succeeded,
      failed: this.failed,
      invalid_inputs: this.invalid,
      stopped: this.stopped,
      not_started: Math.max(0, context.rowsToProcess - this.done),
      attempts: this.attempts,
      retries: this.retries,
      reexecutions_avoided: this.reexecutionsAvoided,
      duplicate_executions: this.duplicateExecutions,
      total_tokens: this.tokens,
      total_price: Math.round(this.price * 1e7) / 1e7,
      currency: this.currency,
      latency_ms: latencies.totalCount === 0 ? null : { p50: at(50), p90: at(90), p99: at(99), max: latencies.maxValue },
      top_errors: [...this.#errors.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([code, count]) => ({ code, count })),
      checks:
        this.checks.rows.total === 0
          ? null
          : {
              rows_passed: this.checks.rows.passed,
              rows: this.checks.rows.total,
              assertions_passed: this.checks.assertions.passed,
              assertions: this.checks.assertions.total,
            },
      wall_time_s: Math.round(wall * 100) / 100,
      rows_per_s: Math.round(this.#rate() * 10) / 10,
      stopped_reason: context.stoppedReason,
      failed_ids_file: context.failedIdsFile,
      mode: { requested: context.mode.requested, streaming_rows: this.#streamingRows, blocking_rows: this.#blockingRows, reason: context.mode.reason },
    };
  }
}

/** The summary as a person reads it at the end of a batch. */
export function formatSummary(s: BatchSummary): string {
  const lines: string[] = [];
  if (s.rows_to_process === 0)
    return `Nothing to do: ${s.skipped_already_succeeded === 1 ? 'the one row' : `all ${s.skipped_already_succeeded} rows`} already succeeded in ${s.output}.`;
  const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);
  lines.push(
    `${s.succeeded} succeeded, ${failedCount(s)}` +
      (s.not_started ? `, ${s.not_started} not started` : '') +
      ` of ${plural(s.rows_to_process, 'row')} in ${s.wall_time_s} s (${s.rows_per_s} rows/s)`,
  );
  if (s.skipped_already_succeeded) lines.push(`skipped ${plural(s.skipped_already_succeeded, 'row')} that already succeeded in ${s.output}`);
  if (s.invalid_inputs) lines.push(`${plural(s.invalid_inputs, 'row')} had invalid inputs and ${s.invalid_inputs === 1 ? 'was' : 'were'} not sent`);
  lines.push(`attempts ${s.attempts}, retries ${s.retries}, re-executions avoided ${s.reexecutions_avoided}, duplicate executions ${s.duplicate_executions}`);
  const cost = s.total_price > 0 ? `, cost ${s.total_price} ${s.currency ?? ''}`.trimEnd() : '';
  lines.push(`tokens ${s.total_tokens}${cost}`);
  const ran = s.mode.streaming_rows + s.mode.blocking_rows;
  // The reason is the mode decision at the end (`auto: blocking, …`); rows may have run before it.
  if (ran > 0) lines.push(`mode: ${modeCounts(s.mode)}; ${s.mode.reason.replace(/^auto: (blocking|streaming)\b/, 'auto chose $1 for new rows')}`);
  if (s.latency_ms) lines.push(`latency p50 ${ms(s.latency_ms.p50)}, p90 ${ms(s.latency_ms.p90)}, p99 ${ms(s.latency_ms.p99)}, max ${ms(s.latency_ms.max)}`);
  if (s.checks)
    lines.push(
      `checks passed: ${formatPassRate({ passed: s.checks.rows_passed, total: s.checks.rows })} rows, ${formatPassRate({ passed: s.checks.assertions_passed, total: s.checks.assertions })} assertions${s.checks.rows_passed < s.checks.rows ? ' (failures: the "assertions" of each line, or difyrun report)' : ''}`,
    );
  if (s.top_errors.length) lines.push(`top errors: ${s.top_errors.map((e) => `${e.code} ×${e.count}`).join(', ')}`);
  if (s.stopped_reason) lines.push(`stopped: ${s.stopped_reason}`);
  if (s.failed_ids_file) lines.push(`failed ids: ${s.failed_ids_file} (run again with --retry)`);
  if (s.not_started)
    lines.push(
      `to continue: run the same command again — it skips the rows that succeeded and runs the ${s.not_started} not started${s.failed ? ` and the ${s.failed} ${{ none: 'that failed', all: 'stopped', some: 'that failed or were stopped' }[stoppedShare(s)]}` : ''}`,
    );
  return lines.join('\n');
}

/**
 * "2 failed", or what part of them was stopped: a run stopped (by Ctrl-C, or in Dify) is a failed
 * row to run again, but a person who pressed Ctrl-C should not read that 8 rows failed.
 */
function failedCount(s: BatchSummary): string {
  return { none: `${s.failed} failed`, all: `${s.stopped} stopped`, some: `${s.failed} failed (${s.stopped} of them stopped)` }[stoppedShare(s)];
}

/** How many of the failed rows were stopped (a stopped row is a failed row: stopped is at most failed). */
function stoppedShare(s: BatchSummary): 'none' | 'all' | 'some' {
  return s.stopped === 0 ? 'none' : s.stopped === s.failed ? 'all' : 'some';
}

function modeCounts(mode: BatchSummary['mode']): string {
  const parts: string[] = [];
  if (mode.streaming_rows) parts.push(`${plural(mode.streaming_rows, 'row')} streaming`);
  if (mode.blocking_rows) parts.push(`${plural(mode.blocking_rows, 'row')} blocking`);
  return parts.join(', ');
}
