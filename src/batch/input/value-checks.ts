/**
 * The pre-flight's value checks: each row this run sends, checked against the app's input form
 * (RowPreparer). The form comes from GET /parameters, and the scan does not wait for it to
 * start: rows are kept here until it answers, at most WAITING_ROWS of them (then the scan waits
 * too), and checked in file order once it has. Against a remote Dify the round trip is hidden
 * behind the scan (up to a few hundred ms: the scan of 4,000 rows takes ~40 ms, of 1,000,000
 * ~1.5 s); a failed /parameters is thrown by `flush`.
 */
import type { RowPreparer } from '../prepare/row-preparer.js';
import type { InputRow } from './read-rows.js';

/** Rows kept while /parameters is on its way: a few MB at most, and a wrong key fails after this many rows, not after the whole file. */
export const WAITING_ROWS = 10_000;

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

  /** Checks `row` now, or keeps it until the form arrives. True when WAITING_ROWS are kept: await flush() before the next. */
  add(row: InputRow): boolean {
    const preparer = this.#preparer;
    if (preparer === undefined) {
      this.#waiting.push(row);
      return this.#waiting.length >= WAITING_ROWS;
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
    for (const row of rows) this.#check(preparer, row);
  }

  #check(preparer: RowPreparer, row: InputRow): void {
    if (this.undeclared.size < UNDECLARED_KEPT) for (const key of preparer.undeclared(row)) this.undeclared.add(key);
    const prepared = preparer.prepare(row);
    if (prepared.ok) this.findings.valid(row);
    else this.findings.invalid(row, `column "${prepared.column}": ${prepared.message}`);
  }
}
