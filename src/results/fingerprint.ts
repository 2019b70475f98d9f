/**
 * The fingerprint of a row's inputs, recorded on each output line so a resume can tell a row
 * whose inputs changed from one that already ran. It covers what is sent to Dify: not `id`, not
 * the expectation columns (changing an expectation re-checks, it does not re-run). Key order does
 * not matter; a file input is fingerprinted by its path or URL, not by the file's bytes.
 */
import { createHash } from 'node:crypto';
import { isExpectationColumn } from './expectations/columns.js';

/** 16 hex digits of SHA-256 over the canonical JSON of the sent inputs. */
export function inputFingerprint(values: Record<string, unknown>): string {
  const sent: Record<string, unknown> = {};
  for (const key of Object.keys(values).sort()) {
    if (key !== 'id' && !isExpectationColumn(key)) sent[key] = values[key];
  }
  return createHash('sha256').update(canonicalJson(sent)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted at every depth. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
