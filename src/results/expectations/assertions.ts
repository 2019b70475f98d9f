/** The assertion kinds, each a pure function of the expected cell and the actual output. */
import { isDeepStrictEqual } from 'node:util';
import type { AssertionKind } from './columns.js';

export interface Verdict {
  pass: boolean;
  /** Why it failed, for a person: what was expected and (a prefix of) what came back. */
  message?: string;
}

/** A problem with the expectation itself (a bad regex, bad JSON, a bad tolerance), or undefined. */
export function expectationProblem(kind: AssertionKind, expected: unknown): string | undefined {
  try {
    if (kind === 'regex') toRegExp(expected);
    else if (kind === 'json') toJson(expected);
    else if (kind === 'approx') toApprox(expected);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Checks `actual` (an output value; undefined when the output is missing) against the expectation. */
export function check(kind: AssertionKind, expected: unknown, actual: unknown): Verdict {
  if (actual === undefined) return { pass: false, message: 'the output is missing' };
  switch (kind) {
    case 'equals':
      return equals(expected, actual);
    case 'contains': {
      const needle = asText(expected);
      return asText(actual).includes(needle) ? PASS : fail(`expected to contain ${quote(needle)}, got ${quote(asText(actual))}`);
    }
    case 'regex': {
      const pattern = toRegExp(expected);
      return pattern.test(asText(actual)) ? PASS : fail(`expected to match ${String(pattern)}, got ${quote(asText(actual))}`);
    }
    case 'json':
      return jsonSubset(toJson(expected), actual);
    case 'approx':
      return approx(toApprox(expected), actual);
  }
}

const PASS: Verdict = { pass: true };

function fail(message: string): Verdict {
  return { pass: false, message };
}

function equals(expected: unknown, actual: unknown): Verdict {
  if (typeof actual === 'string') {
    const want = asText(expected).replace(/\r\n/g, '\n').trim();
    return actual.replace(/\r\n/g, '\n').trim() === want ? PASS : fail(`expected ${quote(want)}, got ${quote(actual)}`);
  }
  // A typed output (number, boolean, object) against a CSV cell: compare as JSON values.
  const want = typeof expected === 'string' ? parseJsonOr(expected.trim(), expected) : expected;
  return isDeepStrictEqual(want, actual) ? PASS : fail(`expected ${quote(asText(want))}, got ${quote(asText(actual))}`);
}

function jsonSubset(expected: unknown, actual: unknown): Verdict {
  let value = actual;
  if (typeof actual === 'string') {
    // LLMs often wrap JSON in a Markdown code fence.
    const text = actual.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/i, '$1');
    try {
      value = JSON.parse(text);
    } catch {
      return fail(`expected JSON containing ${quote(JSON.stringify(expected))}, got text that is not JSON: ${quote(actual)}`);
    }
  }
  const mismatch = subsetMismatch(expected, value, '$');
  return mismatch === undefined ? PASS : fail(mismatch);
}

/** Where `actual` fails to contain `expected`, as a JSON path and reason; undefined when it does. */
function subsetMismatch(expected: unknown, actual: unknown, path: string): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${describe(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const mismatch = subsetMismatch(expected[i], actual[i], `${path}[${i}]`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object, got ${describe(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const child = `${path}.${key}`;
      if (!(key in actual)) return `${child}: missing`;
      const mismatch = subsetMismatch(value, (actual as Record<string, unknown>)[key], child);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${describe(actual)}`;
}

interface Approx {
  value: number;
  tolerance: number;
  text: string;
}

function approx(want: Approx, actual: unknown): Verdict {
  const number = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
  if (!Number.isFinite(number)) return fail(`expected a number ${want.text}, got ${quote(asText(actual))}`);
  return Math.abs(number - want.value) <= want.tolerance ? PASS : fail(`expected ${want.text}, got ${number}`);
}

const APPROX = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(?:(?:±|\+-|\+\/-)\s*((?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(%?))?\s*$/i;

/** "0.8", "0.8 ± 0.05", "0.8 +- 0.05", "0.8 +/- 5%". Without a tolerance: equal up to rounding (1e-9 relative). */
function toApprox(expected: unknown): Approx {
  const text = typeof expected === 'number' ? String(expected) : asText(expected);
  const match = APPROX.exec(text);
  if (!match) throw new Error(`not a number with an optional tolerance (e.g. "0.8 ± 0.05" or "10 +- 5%"): ${quote(text)}`);
  const value = Number(match[1]);
  const amount = match[2] === undefined ? undefined : Number(match[2]);
  const tolerance = amount === undefined ? Math.max(1e-12, Math.abs(value) * 1e-9) : match[3] ? (Math.abs(value) * amount) / 100 : amount;
  return { value, tolerance, text: text.trim() };
}

/** `/pattern/flags` or a bare pattern. */
function toRegExp(expected: unknown): RegExp {
  const text = asText(expected);
  const literal = /^\/([\s\S]+)\/([dgimsuvy]*)$/.exec(text);
  try {
    return literal ? new RegExp(literal[1]!, literal[2]!.replace(/[gy]/g, '')) : new RegExp(text);
  } catch (error) {
    throw new Error(`not a valid regular expression: ${(error as Error).message}`);
  }
}

function toJson(expected: unknown): unknown {
  if (typeof expected !== 'string') return expected; // a JSONL input already holds a value
  try {
    return JSON.parse(expected);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
}

function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : cut(JSON.stringify(value));
}

/** A text quoted for a message, cut at 120 characters. */
function quote(text: string): string {
  return JSON.stringify(cut(text));
}

function cut(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
