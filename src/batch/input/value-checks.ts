/**
 * The pre-flight's value checks: each row this run sends, checked against the app's input form
 * (RowPreparer). The form comes from GET /parameters, and the scan does not wait for it to
 * start: rows are kept here until it answers, at most WAITING_ROWS of them or WAITING_CHARS of
 * their values (then the scan waits too), and checked in file order once it has. So up to that
 * much of the scan overlaps the round trip (4,000 rows: ~40 ms, all of it; 10,000 rows of a
 * 1,000,000-row file: ~15 ms); a failed /parameters is thrown by `flush`.
 */
import type { RowPreparer } from '../prepare/row-preparer.js';
import type { InputRow } from './read-rows.js';

/** Rows kept while /parameters is on its way; a wrong key fails after this many rows, not after the whole file. */
export const WAITING_ROWS = 10_000;

/** And at most this many characters of their values (~8 MB): a file of large rows keeps fewer. */
export const WAITING_CHARS = 4_000_000;

/** What the checks found, in file order. */
export interface ValueFindings {
  /** A row Dify would reject: the column and Dify's message. */
  invalid(row: InputRow, message: string): void;
  /** A row that passes (the scan keeps the first few for --dry-run). */
  valid(row: InputRow): void;
}

/** Undeclared columns worth naming in the warning. */
const UNDECLARED_KEPT = 100;

export class ValueChecks {
  #preparer: RowPreparer | undefined;
  readonly #arrival: Promise<RowPreparer>;
  #waiting: InputRow[] = [];
  #waitingChars = 0;
  /** Columns (CSV header or JSONL keys) that are not declared input variables. */
  readonly undeclared = new Set<string>();

  constructor(
    preparer: RowPreparer | Promise<RowPreparer>,
    private readonly findings: ValueFindings,
  ) {
    if (!(preparer instanceof Promise)) this.#preparer = preparer;
    this.#arrival = Promise.resolve(preparer).then((ready) => (this.#preparer = ready));
    // flush() is where a failure is seen.
    this.#arrival.catch(() => {});
  }

  /** Checks `row` now, or keeps it until the form arrives. True when as much as may wait is kept: await flush() before the next. */
  add(row: InputRow): boolean {
    const preparer = this.#preparer;
    if (preparer === undefined) {
      this.#waiting.push(row);
      this.#waitingChars += valueChars(row);
      return this.#waiting.length >= WAITING_ROWS || this.#waitingChars >= WAITING_CHARS;
    }
    if (this.#waiting.length > 0) this.#checkWaiting(preparer);
    this.#check(preparer, row);
    return false;
  }

  /** Waits for the form (throwing what GET /parameters threw) and checks the rows kept meanwhile; returns the preparer. */
  async flush(): Promise<RowPreparer> {
    const preparer = await this.#arrival;
    this.#checkWaiting(preparer);
    return preparer;
  }

  #checkWaiting(preparer: RowPreparer): void {
    const rows = this.#waiting;
    this.#waiting = [];
    this.#waitingChars = 0;
    for (const row of rows) this.#check(preparer, row);
  }

  #check(preparer: RowPreparer, row: InputRow): void {
    if (this.undeclared.size < UNDECLARED_KEPT) for (const key of preparer.undeclared(row)) this.undeclared.add(key);
    const prepared = preparer.prepare(row);
    if (prepared.ok) this.findings.valid(row);
    else this.findings.invalid(row, `column "${prepared.column}": ${prepared.message}`);
  }
}

/** About how much a row holds: its strings' lengths; a JSONL row's other values as JSON. */
function valueChars(row: InputRow): number {
  let chars = 0;
  for (const value of Object.values(row.values)) {
    if (typeof value === 'string') chars += value.length;
    else if (value !== null && typeof value === 'object') chars += JSON.stringify(value)?.length ?? 0;
    else chars += 8;
  }
  return chars;
}
