/**
 * The fingerprint of a row's inputs, recorded on each output line so a resume can tell a row
 * whose inputs changed from one that already ran. It covers what is sent to Dify: not `id`, not
 * the expectation columns (changing an expectation re-checks, it does not re-run). Key order does
 * not matter; a file input is fingerprinted by its path or URL, not by the file's bytes.
 */
import { hash } from 'node:crypto';
import { isExpectationColumn } from './expectations/columns.js';

/**
 * The last key list seen, with its sent columns sorted and each one's `"key":` already written.
 * Every row of a CSV has the same columns, so a resume over a million rows does that once.
 */
let lastColumns: { keys: string[]; sent: string[]; prefixes: string[] } | undefined;

/** 16 hex digits of SHA-256 over the canonical JSON of the sent inputs (keys sorted at every depth). */
export function inputFingerprint(values: Record<string, unknown>): string {
  // crypto.hash (Node 20.12+): a third of createHash().update().digest()'s cost for one string.
  return hash('sha256', canonicalSentInputs(values), 'hex').slice(0, 16);
}

/**
 * The same fingerprint as two signed 32-bit numbers (its first and last 8 hex digits), with no
 * hex string built: how a resume compares a million rows against the recorded ones.
 */
export function inputFingerprintWords(values: Record<string, unknown>): { high: number; low: number } {
  // As a 'binary' (latin1) string, one char per byte: half the cost of asking for a Buffer, which native code allocates.
  const digest = hash('sha256', canonicalSentInputs(values), 'binary');
  return { high: wordAt(digest, 0), low: wordAt(digest, 4) };
}

/** The canonical JSON that is fingerprinted: the sent columns only, keys sorted at every depth. */
function canonicalSentInputs(values: Record<string, unknown>): string {
  if (!lastColumns || !hasKeys(values, lastColumns.keys)) {
    const keys = Object.keys(values);
    const sent = keys.filter((key) => key !== 'id' && !isExpectationColumn(key)).sort();
    lastColumns = { keys, sent, prefixes: sent.map((key, i) => `${i === 0 ? '' : ','}${JSON.stringify(key)}:`) };
  }
  const { sent, prefixes } = lastColumns;
  let json = '{';
  for (let i = 0; i < sent.length; i++) {
    const value = values[sent[i]!];
    json += prefixes[i]! + (typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value));
  }
  return `${json}}`;
}

/** The big-endian signed 32-bit word of a latin1 digest's bytes at `at`. */
function wordAt(digest: string, at: number): number {
  return (digest.charCodeAt(at) << 24) | (digest.charCodeAt(at + 1) << 16) | (digest.charCodeAt(at + 2) << 8) | digest.charCodeAt(at + 3);
}

/** Whether `values`' own keys are `keys`, in that order (for…in allocates no key array, unlike Object.keys). */
function hasKeys(values: Record<string, unknown>, keys: string[]): boolean {
  let i = 0;
  for (const key in values) {
    if (!Object.hasOwn(values, key) || key !== keys[i]) return false;
    i++;
  }
  return i === keys.length;
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
