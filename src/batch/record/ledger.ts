/**
 * The output JSONL is the batch's ledger: state after any sequence of runs, retries and
 * crashes is rebuilt from it (the last line per id wins), the way GNU parallel's joblog works.
 */
import { IdTable } from '../input/id-table.js';
import type { DurableAppender } from './durable-appender.js';
import { fileSize, forEachLine, SizeFromSample } from './line-reader.js';
import { producedByOfRecord, type ProducedBy } from './produced-by.js';
import { outcomeLine, type OutcomeRecord } from './outcome.js';

export const ROW_SUCCEEDED = 1;
export const ROW_FAILED = 2;

export interface LedgerLine {
  id: string;
  status: string;
  workflow_run_id?: string | null;
  executed_at?: string;
}

export interface LedgerState {
  /** id → ROW_SUCCEEDED | ROW_FAILED, by the last line per id. */
  rows: IdTable;
  lines: number;
  /** Lines that were not valid JSON records (left in place, reported). */
  badLines: number[];
}

/** Appends outcomes to the ledger and keeps the id table in step with it (one owner for both). */
export class LedgerWriter {
  constructor(
    private readonly out: DurableAppender,
    /** id → ROW_SUCCEEDED | ROW_FAILED, as read at the start. */
    readonly rows: IdTable,
    /** Completes each outcome before it is written (checks of expected outputs, input fingerprint). */
    private readonly annotate: (outcome: OutcomeRecord) => OutcomeRecord = (outcome) => outcome,
    /** Sees each outcome once it is on disk (the workflow-version notice). */
    private readonly onRecorded?: (outcome: OutcomeRecord) => void,
  ) {}

  /**
   * Resolves, once the line is synced to disk, to the outcome as written (annotated). `unsent`:
   * the row was never sent (invalid inputs), so no run can be lost: written is enough, and a
   * caller recording such rows one after another does not wait a sync for each (a power loss
   * can lose the line; the next run checks the row and records it again).
   */
  async append(result: OutcomeRecord, options: { unsent?: boolean } = {}): Promise<OutcomeRecord> {
    const outcome = this.annotate(result);
    const line = outcomeLine(outcome);
    await (options.unsent ? this.out.appendWritten(line) : this.out.append(line));
    this.onRecorded?.(outcome);
    // Only what .retry needs: failures, and ids whose earlier failure this success replaces.
    // (Each input id runs at most once per batch, so successes need no memory of their own.)
    if (outcome.status !== 'success') this.rows.set(outcome.id, ROW_FAILED);
    else if (this.rows.has(outcome.id)) this.rows.set(outcome.id, ROW_SUCCEEDED);
    return outcome;
  }

  close(): Promise<void> {
    return this.out.close();
  }
}

/**
 * Reads the ledger; `onLine` sees the whole record of each line whose id `wanted` accepts
 * (the rows left in flight); `produced` learns what produced each success line. A missing file
 * is an empty ledger.
 */
export async function readLedger(
  path: string,
  onLine?: (line: LedgerLine) => void,
  wanted: (id: string) => boolean = () => true,
  produced?: ProducedBy,
): Promise<LedgerState> {
  // What produced each success shares this table: one entry per id, not one in each.
  const rows = produced?.table ?? new IdTable();
  const badLines: number[] = [];
  const sizing = new SizeFromSample(await fileSize(path));
  const read = await forEachLine(path, ({ buffer, start, end, line, offset }) => {
    // difyrun's own lines, a million times on resume, are read without building a string for the id.
    const own = ownLineKey(buffer, start, end);
    const key = own ?? parsedKey(buffer, start, end);
    if (key === undefined) {
      badLines.push(line);
      return;
    }
    if (own) rows.setBytes(buffer, own.idStart, own.idEnd, own.succeeded ? ROW_SUCCEEDED : ROW_FAILED);
    else rows.set(key.id!, key.succeeded ? ROW_SUCCEEDED : ROW_FAILED);
    if (produced && key.succeeded && !produced.noteLine(rows.lastEntry, buffer, start, end)) {
      // Not in difyrun's own order: parsed, unless the line is difyrun's and simply has no such fields (older versions).
      const by = own ? undefined : producedByOfRecord(buffer.toString('utf8', start, end));
      produced.noteEntry(rows.lastEntry, by?.fingerprint, by?.workflowId);
    }
    const expected = own && sizing.sample(line, offset, own.idEnd - own.idStart);
    if (expected) {
      rows.reserve(expected.count, expected.bytesEach);
      produced?.reserve(expected.count);
    }
    if (onLine) {
      const id = key.id ?? buffer.toString('utf8', own!.idStart, own!.idEnd);
      if (wanted(id)) onLine(JSON.parse(buffer.toString('utf8', start, end)) as LedgerLine);
    }
  });
  return { rows, lines: read?.lines ?? 0, badLines };
}

/** The id of a ledger line, or undefined when the line is not a record with a string id. */
export function idOfLine(buffer: Buffer, start: number, end: number): string | undefined {
  return keyFields(buffer, start, end)?.id;
}

const PREFIX = Buffer.from('{"id":"');
const STATUS = Buffer.from(',"status":"');
const SUCCESS = Buffer.from('success"');

interface LineKey {
  /** Undefined for difyrun's own lines until asked for (see idStart). */
  id?: string | undefined;
  succeeded: boolean;
}

interface OwnLineKey extends LineKey {
  /** The id's bytes in the line. */
  idStart: number;
  idEnd: number;
}

/** Where the id is in a line difyrun wrote (`{"id":"…","status":"…"`, no escapes in the id); undefined for any other line. */
function ownLineKey(buffer: Buffer, start: number, end: number): OwnLineKey | undefined {
  const idStart = start + PREFIX.length;
  if (buffer[end - 1] !== 0x7d || !bytesAt(buffer, start, PREFIX, end)) return undefined;
  const idEnd = buffer.indexOf(0x22, idStart);
  if (idEnd === -1 || idEnd >= end || hasBackslash(buffer, idStart, idEnd) || !bytesAt(buffer, idEnd + 1, STATUS, end)) return undefined;
  return { id: undefined, idStart, idEnd, succeeded: bytesAt(buffer, idEnd + 1 + STATUS.length, SUCCESS, end) };
}

/**
 * id and status of a line: read without parsing the whole record when difyrun wrote it;
 * anything else (edited by hand, escapes in the id) is parsed.
 */
function keyFields(buffer: Buffer, start: number, end: number): { id: string; succeeded: boolean } | undefined {
  const own = ownLineKey(buffer, start, end);
  if (own) return { id: buffer.toString('utf8', own.idStart, own.idEnd), succeeded: own.succeeded };
  const parsed = parsedKey(buffer, start, end);
  return parsed && { id: parsed.id!, succeeded: parsed.succeeded };
}

/** id and status of any other line, parsed as JSON; undefined when it is not a record with a string id. */
function parsedKey(buffer: Buffer, start: number, end: number): LineKey | undefined {
  let record: { id?: unknown; status?: unknown };
  try {
    record = JSON.parse(buffer.toString('utf8', start, end)) as typeof record;
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== 'object' || typeof record.id !== 'string') return undefined;
  return { id: record.id, succeeded: record.status === 'success' };
}

function hasBackslash(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buffer[i] === 0x5c) return true;
  return false;
}

/** Whether `expected` occurs in `buffer` at `at`, within `limit`. (A loop: Buffer.compare's checks cost more than these few bytes.) */
function bytesAt(buffer: Buffer, at: number, expected: Buffer, limit: number): boolean {
  if (at + expected.length > limit) return false;
  for (let i = 0; i < expected.length; i++) if (buffer[at + i] !== expected[i]) return false;
  return true;
}
