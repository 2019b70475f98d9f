/**
 * Configuration the way the Python batch executor reads it: environment variables, filled in from `.env` in the
 * working directory when present (real environment variables win), then overridden by flags.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

export type Env = Record<string, string | undefined>;

/** process.env plus `.env` (which never overrides a variable that is already set). */
export function loadEnvironment(cwd = process.cwd(), env: Env = process.env): Env {
  let text: string;
  try {
    text = readFileSync(join(cwd, '.env'), 'utf8');
  } catch {
    return { ...env };
  }
  const fromFile = parseEnv(text.replace(/^\uFEFF/, ''));
  return { ...fromFile, ...Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) };
}

/** A one-line message about a bad option or variable; exit code 2. */
export class OptionError extends Error {
  override name = 'OptionError';
}

/** Parses a number from a flag or env var, naming it in the error. */
export function numberOption(value: string | undefined, name: string, fallback: number, rules: { min?: number; integer?: boolean } = {}): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || (rules.integer && !Number.isInteger(parsed)) || (rules.min !== undefined && parsed < rules.min)) {
    const kind = rules.integer ? 'a whole number' : 'a number';
    throw new OptionError(`${name} must be ${kind}${rules.min !== undefined ? ` ≥ ${rules.min}` : ''}, got "${value}"`);
  }
  return parsed;
}
