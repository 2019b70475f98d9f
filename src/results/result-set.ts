/**
 * A results file (the batch's output JSONL) read back as one row per id: the last line of each
 * id wins, rows in the order their ids first appear. Every view (export, report, compare) starts here.
 */
import type { RowError } from '../batch/record/outcome.js';
import { evaluateExpectations, type AssertionResult } from './expectations/evaluate.js';
import { indexResults, ResultReader } from './result-index.js';

/** `not_run`: an id of the input file with no line in the results (only with --input). */
export type RowStatus = 'success' | 'failed' | 'not_run';

export interface ResultRow {
  id: string;
  status: RowStatus;
  /** The row's columns as recorded (without `id`), expectation columns included. */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  error: RowError | null;
  latency_ms: number | null;
  total_tokens: number | null;
  total_price: number | null;
  currency: string | null;
  workflow_run_id: string | null;
  workflow_id: string | null;
  executed_at: string | null;
  attempts: number | null;
  /** Expectations checked against the outputs (recomputed here, so they follow the current input file). */
  checks: AssertionResult[];
}

export interface ResultSet {
  file: string;
  rows: ResultRow[];
  lines: number;
  /** Lines that are not records (not JSON, or no string id): skipped, reported. */
  badLines: number[];
}

/** Reads every row of `file` into memory (compare and diff; export and report read rows one at a time). */
export async function readResults(file: string): Promise<ResultSet> {
  const index = await indexResults(file);
  const reader = await ResultReader.open(index);
  try {
    const rows: ResultRow[] = [];
    for await (const row of reader.rows()) rows.push(row);
    return { file, rows, lines: index.lines, badLines: index.badLines };
  } finally {
    await reader.close();
  }
}

/** One line as a row, or undefined when it is not a result record. */
export function rowOfLine(text: string): ResultRow | undefined {
  const record = recordOfLine(text);
  return record && rowOf(record);
}

/** A line parsed and checked to be a result record (an object with a string id and status). */
export function recordOfLine(text: string): (Record<string, unknown> & { id: string; status: string }) | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== 'object' || typeof record.id !== 'string' || typeof record.status !== 'string') return undefined;
  return record as Record<string, unknown> & { id: string; status: string };
}

function rowOf(record: Record<string, unknown> & { id: string; status: string }): ResultRow {
  const inputs = isObject(record.inputs) ? { ...record.inputs } : {};
  delete inputs.id;
  const outputs = isObject(record.outputs) ? record.outputs : null;
  return {
    id: record.id,
    status: record.status === 'success' ? 'success' : 'failed',
    inputs,
    outputs,
    error: isObject(record.error) ? (record.error as unknown as RowError) : null,
    latency_ms: numberOrNull(record.latency_ms),
    total_tokens: numberOrNull(record.total_tokens),
    total_price: numberOrNull(record.total_price),
    currency: stringOrNull(record.currency),
    workflow_run_id: stringOrNull(record.workflow_run_id),
    workflow_id: stringOrNull(record.workflow_id),
    executed_at: stringOrNull(record.executed_at),
    attempts: numberOrNull(record.attempts),
    checks: evaluateExpectations(inputs, outputs),
  };
}

/** A row of the input file that has no result yet. */
export function notRunRow(id: string, inputs: Record<string, unknown>): ResultRow {
  return {
    id,
    status: 'not_run',
    inputs,
    outputs: null,
    error: null,
    latency_ms: null,
    total_tokens: null,
    total_price: null,
    currency: null,
    workflow_run_id: null,
    workflow_id: null,
    executed_at: null,
    attempts: null,
    checks: [],
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
