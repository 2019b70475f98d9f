/** Small readers shared by the node modules' DSL parsers; `fail` throws a DslError naming the node. */
import type { Selector } from './types.js';

export type Fail = (message: string) => never;

export function selector(value: unknown, fail: Fail): Selector {
  if (!Array.isArray(value) || value.length < 2) fail(`invalid variable selector ${JSON.stringify(value)}`);
  return (value as unknown[]).map(String);
}

export function optionalSelector(value: unknown, fail: Fail): Selector | undefined {
  return Array.isArray(value) && value.length > 0 ? selector(value, fail) : undefined;
}

export function namedSelectors(list: unknown, fail: Fail): { variable: string; value_selector: Selector }[] {
  return listOf(list).map((v) => ({ variable: String(v['variable'] ?? fail('a variable has no name')), value_selector: selector(v['value_selector'], fail) }));
}

export function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function text(value: unknown, fallback = ''): string {
  return value === undefined || value === null ? fallback : String(value);
}
