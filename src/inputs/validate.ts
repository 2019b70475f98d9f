/**
 * Dify's validation of `inputs` (Dify 1.13's BaseAppGenerator input checks), with its exact messages. The
 * local server uses it to answer like Dify; the batch pre-flight uses it to reject a row
 * before spending a run on it.
 *
 * Rules: unknown keys are dropped; `required` rejects only a missing or null value ("" passes);
 * numbers may arrive as strings; select values must match an option; max_length applies to
 * text-input and paragraph; the first failing variable, in Start-node order, is reported.
 */
import type { InputVariable } from '../protocol/index.js';

export type ValidationResult = { ok: true; values: Record<string, unknown> } | { ok: false; variable: string; message: string };

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function validateInputs(variables: InputVariable[], inputs: Record<string, unknown>): ValidationResult {
  const values: Record<string, unknown> = {};
  for (const variable of variables) {
    const name = variable.variable;
    let value = inputs[name];
    if (value === undefined || value === null) {
      if (variable.required) return fail(name, `${name} is required in input form`);
      const fallback = variable.default;
      if (fallback !== undefined && fallback !== null && fallback !== '') values[name] = fallback;
      continue;
    }
    const checked = checkValue(variable, value);
    if (typeof checked === 'string') return fail(name, checked);
    value = checked.value;
    if (value === undefined) continue;
    values[name] = typeof value === 'string' ? value.replace(/\0/g, '') : value;
  }
  return { ok: true, values };
}

function fail(variable: string, message: string): ValidationResult {
  return { ok: false, variable, message };
}

/** Returns the accepted (possibly converted) value, or the error message. */
function checkValue(variable: InputVariable, value: unknown): { value: unknown } | string {
  const name = variable.variable;
  switch (variable.type) {
    case 'text-input':
    case 'paragraph':
    case 'select': {
      if (typeof value !== 'string') return `(type '${variable.type}') ${name} in input form must be a string`;
      if (variable.type === 'select') {
        const options = variable.options ?? [];
        if (!options.includes(value)) return `${name} in input form must be one of the following: ${pythonList(options)}`;
      } else if (typeof variable.max_length === 'number' && variable.max_length > 0 && value.length > variable.max_length) {
        return `${name} in input form must be less than ${variable.max_length} characters`;
      }
      return { value };
    }
    case 'number': {
      if (typeof value === 'number' || typeof value === 'boolean') return { value };
      if (typeof value !== 'string') return `${name} in input form must be a valid number`;
      const parsed = parseDifyNumber(value);
      if (parsed === null) return `${name} in input form must be a valid number`;
      return { value: parsed };
    }
    case 'checkbox': {
      const parsed = parseCheckbox(value);
      if (parsed === undefined) return `${name} in input form must be a boolean`;
      return { value: parsed };
    }
    case 'json_object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${name} in input form must be a dict`;
      return { value };
    }
    case 'file': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${name} in input form must be a file`;
      return { value };
    }
    case 'file-list': {
      if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))) {
        return `${name} in input form must be a list of files`;
      }
      if (typeof variable.max_length === 'number' && variable.max_length > 0 && value.length > variable.max_length) {
        return `${name} in input form must be less than ${variable.max_length} files`;
      }
      return { value };
    }
    default:
      return { value };
  }
}

/**
 * Python's parse as Dify does it: a string containing "." → float(), else int(); a blank
 * string → no value. Returns null when unparseable, undefined for blank.
 */
export function parseDifyNumber(text: string): number | undefined | null {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.includes('.')) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed.replace(/_/g, '')) && !/^[+-]?(inf|infinity|nan)$/i.test(trimmed)) return null;
    return Number.parseFloat(trimmed.replace(/_/g, ''));
  }
  if (!/^[+-]?\d+(_\d+)*$/.test(trimmed)) return null;
  return Number.parseInt(trimmed.replace(/_/g, ''), 10);
}

/** Checkbox words (true/1/yes/on, false/0/no/off, case-insensitive), booleans, 1/0. */
export function parseCheckbox(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
}

/** Renders a list the way Python's repr does: ['a', 'b']. */
export function pythonList(items: readonly string[]): string {
  return `[${items.map((item) => `'${item.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}
