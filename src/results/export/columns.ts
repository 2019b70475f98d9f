/**
 * The export's table: one row per id; columns id, status, every input, every output (one column
 * each), the expectation checks, then error, latency, tokens, cost and the run's ids.
 * Cells are text or numbers; nested values are JSON.
 */
import { isExpectationColumn } from '../expectations/columns.js';
import type { ResultRow } from '../result-set.js';

export type Cell = string | number | null;

export interface Column {
  header: string;
  cell(row: ResultRow): Cell;
}

const TRAILING: Column[] = [
  { header: 'error', cell: (row) => (row.error ? `${row.error.code}: ${row.error.message}` : null) },
  { header: 'latency_ms', cell: (row) => row.latency_ms },
  { header: 'total_tokens', cell: (row) => row.total_tokens },
  { header: 'total_price', cell: (row) => row.total_price },
  { header: 'currency', cell: (row) => row.currency },
  { header: 'workflow_run_id', cell: (row) => row.workflow_run_id },
  { header: 'workflow_id', cell: (row) => row.workflow_id },
  { header: 'executed_at', cell: (row) => row.executed_at },
  { header: 'attempts', cell: (row) => row.attempts },
];

const CHECKS: Column[] = [
  { header: 'checks', cell: (row) => (row.checks.length === 0 ? null : `${row.checks.filter((c) => c.pass).length}/${row.checks.length} passed`) },
  {
    header: 'failed_checks',
    cell: (row) =>
      row.checks
        .filter((c) => !c.pass)
        .map((c) => `${c.column}: ${c.message}`)
        .join('\n') || null,
  },
];

/** The names rows use, gathered one row at a time (an export does not hold its rows). */
export class ColumnNames {
  readonly #inputs = new Set<string>();
  readonly #outputs = new Set<string>();
  #anyChecks = false;

  add(row: ResultRow): void {
    for (const name in row.inputs) this.#inputs.add(name);
    if (row.outputs) for (const name in row.outputs) this.#outputs.add(name);
    this.#anyChecks ||= row.checks.length > 0;
  }

  /** Names known without the rows (a results file's index); checks columns when there are expect… columns. */
  addNames(inputs: Iterable<string>, outputs: Iterable<string>): void {
    for (const name of inputs) {
      this.#inputs.add(name);
      this.#anyChecks ||= isExpectationColumn(name);
    }
    for (const name of outputs) this.#outputs.add(name);
  }

  columns(): Column[] {
    const anyChecks = this.#anyChecks;
    const fixed = new Set(['id', 'status', ...TRAILING.map((c) => c.header), ...(anyChecks ? CHECKS.map((c) => c.header) : [])]);
    const taken = new Set<string>(fixed);
    // A name used twice (an output called like an input or a fixed column) gets a prefix, so every header is unique.
    const unique = (name: string, prefix: string) => {
      const header = taken.has(name) ? `${prefix}.${name}` : name;
      taken.add(header);
      return header;
    };
    const inputs = [...this.#inputs].map((name): Column => ({ header: unique(name, 'input'), cell: (row) => cellOf(row.inputs[name]) }));
    const outputs = [...this.#outputs].map((name): Column => ({ header: unique(name, 'output'), cell: (row) => cellOf(row.outputs?.[name]) }));
    return [
      { header: 'id', cell: (row) => row.id },
      { header: 'status', cell: (row) => row.status },
      ...inputs,
      ...outputs,
      ...(anyChecks ? CHECKS : []),
      ...TRAILING,
    ];
  }
}

/** A value as a cell: text and numbers as they are, booleans as text, objects and arrays as JSON. */
export function cellOf(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
