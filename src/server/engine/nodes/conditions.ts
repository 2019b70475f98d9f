/**
 * Conditions as if-else cases and loop break conditions use them. Operators follow Dify's
 * condition processor, including the Unicode ≠ ≥ ≤.
 */
import { listOf, selector, type Fail } from '../../dsl/parse-helpers.js';
import type { Selector } from '../../dsl/types.js';
import { NodeError } from '../node-context.js';
import type { VariablePool } from '../variable-pool.js';

export interface Condition {
  variable_selector: Selector;
  comparison_operator: string;
  value?: unknown;
  varType?: string;
}

export function parseConditions(list: unknown, fail: Fail): Condition[] {
  return listOf(list).map((c) => ({
    variable_selector: selector(c['variable_selector'], fail),
    comparison_operator: String(c['comparison_operator'] ?? fail('a condition has no comparison_operator')),
    value: c['value'],
    ...(typeof c['varType'] === 'string' ? { varType: c['varType'] } : {}),
  }));
}

/** One group of conditions checked: what if-else reports as its inputs and process_data. */
export interface ConditionCheck {
  /** Outcomes of the conditions evaluated: evaluation stops at the first that decides and/or, as Dify's does. */
  outcomes: boolean[];
  matched: boolean;
  /** The evaluated conditions as Dify's if-else inputs list them. */
  described: { actual_value: unknown; expected_value: unknown; comparison_operator: string }[];
}

export function checkConditions(conditions: Condition[], operator: 'and' | 'or', pool: VariablePool): ConditionCheck {
  const check: ConditionCheck = { outcomes: [], matched: operator === 'and', described: [] };
  for (const condition of conditions) {
    // A condition's value may refer to variables ({{#node.var#}}), rendered as text first.
    const expected = typeof condition.value === 'string' ? pool.renderReferences(condition.value) : condition.value;
    const actual = pool.get(condition.variable_selector);
    const outcome = evaluate({ ...condition, value: expected }, actual);
    check.outcomes.push(outcome);
    check.described.push({ actual_value: actual ?? null, expected_value: expected ?? null, comparison_operator: condition.comparison_operator });
    if (outcome === (operator === 'or')) {
      check.matched = outcome;
      break;
    }
  }
  return check;
}

/** A condition as Dify's process_data repeats it. */
export function conditionModel(condition: Condition): Record<string, unknown> {
  return {
    variable_selector: condition.variable_selector,
    comparison_operator: condition.comparison_operator,
    value: condition.value ?? null,
    sub_variable_condition: null,
  };
}

export const COMPARISON_OPERATORS = [
  'contains',
  'not contains',
  'start with',
  'end with',
  'is',
  'is not',
  'empty',
  'not empty',
  'in',
  'not in',
  'all of',
  '=',
  '≠',
  '>',
  '<',
  '≥',
  '≤',
  'null',
  'not null',
  'exists',
  'not exists',
] as const;

/** Evaluates one condition against the actual value. */
export function evaluate(condition: Condition, actual: unknown): boolean {
  const expected = condition.value;
  switch (condition.comparison_operator) {
    case 'contains':
      return contains(actual, expected);
    case 'not contains':
      return actual === undefined || actual === null ? true : !contains(actual, expected);
    case 'start with':
      return typeof actual === 'string' && actual.startsWith(String(expected ?? ''));
    case 'end with':
      return typeof actual === 'string' && actual.endsWith(String(expected ?? ''));
    case 'is':
      return isEqual(actual, expected);
    case 'is not':
      return !isEqual(actual, expected);
    case 'empty':
      return isEmpty(actual);
    case 'not empty':
      return !isEmpty(actual);
    case 'in':
      return actual !== undefined && actual !== null && toList(expected).some((item) => looseEqual(item, actual));
    case 'not in':
      return actual === undefined || actual === null || !toList(expected).some((item) => looseEqual(item, actual));
    case 'all of':
      return Array.isArray(actual) && toList(expected).every((item) => actual.some((a) => looseEqual(a, item)));
    case '=':
    case '≠':
    case '>':
    case '<':
    case '≥':
    case '≤':
      return compareNumbers(condition.comparison_operator, actual, expected);
    case 'null':
      return actual === undefined || actual === null;
    case 'not null':
      return actual !== undefined && actual !== null;
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'not exists':
      return actual === undefined || actual === null;
    default:
      throw new NodeError(`Unsupported comparison operator: ${condition.comparison_operator}`);
  }
}

function contains(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string') return actual.includes(String(expected ?? ''));
  // Python's `in` on a list: 99 is not '99' (the real server, checked).
  if (Array.isArray(actual)) return actual.some((item) => item === expected);
  return false;
}

function isEqual(actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  if (typeof actual === 'boolean') return actual === toBoolean(expected);
  return String(actual) === String(expected ?? '');
}

function isEmpty(actual: unknown): boolean {
  if (actual === undefined || actual === null) return true;
  if (typeof actual === 'string' || Array.isArray(actual)) return actual.length === 0;
  if (typeof actual === 'object') return Object.keys(actual).length === 0;
  return false;
}

function compareNumbers(operator: string, actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  const a = typeof actual === 'number' ? actual : typeof actual === 'boolean' ? Number(actual) : Number(String(actual).trim());
  const b = typeof expected === 'number' ? expected : Number(String(expected ?? '').trim());
  if (Number.isNaN(a)) throw new NodeError(`Invalid actual value type: number (got ${JSON.stringify(actual)})`);
  if (Number.isNaN(b)) throw new NodeError(`Invalid expected value: ${JSON.stringify(expected)} is not a number`);
  switch (operator) {
    case '=':
      return a === b;
    case '≠':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '≥':
      return a >= b;
    default:
      return a <= b;
  }
}

function toList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // not JSON: a comma-separated list
      }
    }
    return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
  }
  return value === undefined || value === null ? [] : [value];
}

function looseEqual(a: unknown, b: unknown): boolean {
  return a === b || String(a) === String(b);
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return ['true', '1', 'yes', 'on'].includes(String(value).trim().toLowerCase());
}
