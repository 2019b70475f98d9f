/**
 * The fingerprint of a row's inputs, recorded on each output line so a resume can tell a row
 * whose inputs changed from one that already ran. It covers what is sent to Dify: not `id`, not
 * the expectation columns (changing an expectation re-checks, it does not re-run). Key order does
 * not matter; a file input is fingerprinted by its path or URL, not by the file's bytes.
 */
import { hash } from 'node:crypto';
import { isExpectationColumn } from './expectations/columns.js';

/**
 * The sent columns of the last key list seen, sorted. Every row of a CSV has the same columns,
 * so a resume over a million rows sorts and filters them once, not once a row.
 */
let lastColumns: { signature: string; sent: string[] } | undefined;

/** 16 hex digits of SHA-256 over the canonical JSON of the sent inputs (keys sorted at every depth). */
export function inputFingerprint(values: Record<string, unknown>): string {
  const keys = Object.keys(values);
  const signature = keys.join('\u0000');
  if (lastColumns?.signature !== signature) {
    lastColumns = { signature, sent: keys.filter((key) => key !== 'id' && !isExpectationColumn(key)).sort() };
  }
  const members = lastColumns.sent.map((key) => `${JSON.stringify(key)}:${canonicalJson(values[key])}`);
  // crypto.hash (Node 20.12+): a third of createHash().update().digest()'s cost for one string.
  return hash('sha256', `{${members.join(',')}}`, 'hex').slice(0, 16);
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
