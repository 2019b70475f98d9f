/**
 * Expectation columns: input columns that say what an output should be. They are kept with
 * the row (and in the output line's `inputs`) but never sent to Dify.
 *
 *   expect:NAME           equals (text ignoring surrounding whitespace; typed outputs as JSON)
 *   expect_contains:NAME  the output's text contains this text
 *   expect_regex:NAME     the output's text matches this regular expression (/pattern/flags or a bare pattern)
 *   expect_json:NAME      this JSON is a subset of the output (objects by key, arrays by position)
 *   expect_approx:NAME    a number within a tolerance: "0.8 ± 0.05", "0.8 +- 0.05", "0.8 ± 5%", or "0.8"
 *
 * NAME is an output variable of the workflow. An empty cell sets no expectation for that row.
 */
export type AssertionKind = 'equals' | 'contains' | 'regex' | 'json' | 'approx';

const KINDS: Record<string, AssertionKind> = {
  expect: 'equals',
  expect_contains: 'contains',
  expect_regex: 'regex',
  expect_json: 'json',
  expect_approx: 'approx',
};

const COLUMN = /^(expect(?:_[a-z]+)?):(.+)$/;

/** Names seen, parsed: every row of a results file has the same few columns. */
const parsed = new Map<string, { kind: AssertionKind; output: string } | null>();

/** An expectation column's kind and the output it is about; undefined for an ordinary input column. */
export function parseExpectationColumn(name: string): { kind: AssertionKind; output: string } | undefined {
  let result = parsed.get(name);
  if (result === undefined) {
    result = parseColumn(name) ?? null;
    if (parsed.size < 10_000) parsed.set(name, result);
  }
  return result ?? undefined;
}

function parseColumn(name: string): { kind: AssertionKind; output: string } | undefined {
  const match = COLUMN.exec(name);
  if (!match) return undefined;
  const kind = KINDS[match[1]!];
  const output = match[2]!.trim();
  return kind && output ? { kind, output } : undefined;
}

/**
 * Whether a column looks like an expectation but is not a valid one (e.g. `expect_startswith:x`):
 * such a column is an error, never silently sent to Dify as an input.
 */
export function malformedExpectationColumn(name: string): string | undefined {
  if (!/^expect[_:]/.test(name) || parseExpectationColumn(name)) return undefined;
  return `column "${name}" looks like an expectation but is not one: use ${Object.keys(KINDS)
    .map((k) => `${k}:OUTPUT`)
    .join(', ')}`;
}

export function isExpectationColumn(name: string): boolean {
  return parseExpectationColumn(name) !== undefined;
}

/** A row's values split into what goes to Dify and the expectation columns. */
export function splitExpectations(values: Record<string, unknown>): { inputs: Record<string, unknown>; expectations: Record<string, unknown> } {
  const inputs: Record<string, unknown> = {};
  const expectations: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (isExpectationColumn(name)) expectations[name] = value;
    else inputs[name] = value;
  }
  return { inputs, expectations };
}
