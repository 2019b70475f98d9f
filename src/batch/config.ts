/**
 * What a batch can be told, with its defaults. The CLI only maps flags and environment
 * variables onto these fields; every default lives here.
 */

import type { InputOptions } from './input/read-rows.js';

/** `auto` streams until it sees streaming runs wait in Dify's queue while runs are short, then uses blocking. */
export type BatchMode = 'auto' | 'streaming' | 'blocking';

export interface BatchConfig {
  /** CSV or JSONL input file. */
  input: string;
  /** JSONL output (the ledger; appended to, resumable). */
  output: string;
  /** --retry: only the ids in `<output>.retry`. */
  retryOnly: boolean;
  /** Minimum seconds between two request starts (the Python batch executor's `--wait`). */
  waitSeconds: number;
  /** Rows in flight at once; lowered automatically while the server refuses with 429. */
  concurrency: number;
  /** At most this many requests per minute (undefined: no limit). */
  rpm: number | undefined;
  mode: BatchMode;
  /** Retries per row of errors that did not run the workflow (env MAX_RETRIES). */
  maxRetries: number;
  /** First backoff step, seconds (env INITIAL_RETRY_DELAY); doubles per retry. */
  initialRetryDelaySeconds: number;
  /** Longest backoff step, seconds (env MAX_RETRY_DELAY). */
  maxRetryDelaySeconds: number;
  /**
   * Bounds every wait of one row, seconds (env TIMEOUT): response headers, a whole blocking
   * response, a stream without its first event, and recovery of a run that may still be going.
   */
  timeoutSeconds: number;
  /** A fixed user for every row; default: a stable per-row user (`difyrun-<id>`). */
  user: string | undefined;
  /** Run this published workflow version (env DIFY_WORKFLOW_ID). */
  workflowId: string | undefined;
  /** The version the server runs, known before any run (--local's file): resume compares lines with it. */
  knownWorkflowVersion: string | undefined;
  dryRun: boolean;
  /** Run again every row that already succeeded (a changed workflow, a fresh look). */
  rerunAll: boolean;
  /** Run again the rows whose success line was produced by another workflow version. */
  rerunOlderVersions: boolean;
  /** --delimiter, --encoding, --sheet (each detected or defaulted when absent). */
  inputOptions: InputOptions | undefined;
  /** Start a new output file with a UTF-8 BOM (for Excel). */
  bom: boolean;
  /** No progress and no summary on stderr. */
  quiet: boolean;
  /** No bytes (not even a ping) for this long: the stream is treated as dropped. */
  streamIdleTimeoutSeconds: number;
}

/** Every field a caller may leave out, with its default. */
export const BATCH_DEFAULTS = {
  retryOnly: false,
  waitSeconds: 0,
  concurrency: 5,
  rpm: undefined,
  mode: 'auto',
  maxRetries: 3,
  initialRetryDelaySeconds: 1,
  maxRetryDelaySeconds: 60,
  timeoutSeconds: 300,
  user: undefined,
  workflowId: undefined,
  knownWorkflowVersion: undefined,
  dryRun: false,
  rerunAll: false,
  rerunOlderVersions: false,
  inputOptions: undefined,
  bom: false,
  quiet: false,
  // Dify pings every 10 s while a node runs; three missed pings mean the stream is gone.
  streamIdleTimeoutSeconds: 45,
} as const satisfies Omit<BatchConfig, 'input' | 'output'>;

export const BATCH_MODES: readonly BatchMode[] = ['auto', 'streaming', 'blocking'];

/** What a caller sets: input and output, and any field (undefined means the default). */
export type BatchOptions = Pick<BatchConfig, 'input' | 'output'> & { [K in keyof BatchConfig]?: BatchConfig[K] | undefined };

/** A full config from the input, the output and whatever the caller chose to set. */
export function batchConfig(options: BatchOptions): BatchConfig {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...BATCH_DEFAULTS, ...given } as BatchConfig;
}
