/**
 * Turns an input row into the `inputs` of a run, the way Dify would accept them
 *, before any run is spent: CSV cells are converted by declared
 * type (number, checkbox words, json_object from JSON text, files from paths or URLs), then
 * checked with Dify's own rules and messages (src/inputs/validate.ts).
 */
import { validateInputs } from '../../inputs/validate.js';
import type { FileInput, InputVariable, WorkflowInputs } from '../../protocol/index.js';
import type { InputRow } from '../input/read-rows.js';
import { splitFileList, toFileRef, type FileRef, type FileUploader } from './file-inputs.js';
import { isExpectationColumn } from '../../results/expectations/columns.js';
import { invalidExpectation } from '../../results/expectations/evaluate.js';

export type Prepared = { ok: true; inputs: Record<string, unknown> } | { ok: false; column: string; message: string };

/** Marks a value that still has to be uploaded (kept as a class so validation sees an object). */
class PendingFile {
  constructor(readonly ref: FileRef) {}
}

export class RowPreparer {
  readonly #variables: InputVariable[];
  readonly #byName: Map<string, InputVariable>;

  readonly #idVariable: InputVariable | undefined;

  /**
   * `rowIds`: the rows come from a batch file whose `id` column is also an input when the
   * workflow declares `id` (the seed's CSV format: every header name is an input name).
   */
  constructor(
    variables: InputVariable[],
    private readonly baseDir: string,
    options: { rowIds?: boolean } = {},
  ) {
    this.#variables = variables;
    this.#byName = new Map(variables.map((variable) => [variable.variable, variable]));
    this.#idVariable = options.rowIds ? this.#byName.get('id') : undefined;
  }

  get variables(): readonly InputVariable[] {
    return this.#variables;
  }

  /** Keys of a row that are not declared input variables (Dify would drop them silently); expectation columns are not inputs. */
  undeclared(row: InputRow): string[] {
    return Object.keys(row.values).filter((key) => !this.#byName.has(key) && !isExpectationColumn(key));
  }

  /** Expectation columns (expect…:OUTPUT) are checked here and never sent: no Dify variable name holds a ':'. */
  prepare(row: InputRow): Prepared {
    const badExpectation = invalidExpectation(row.values);
    if (badExpectation) return { ok: false, column: badExpectation.column, message: badExpectation.message };
    const converted: Record<string, unknown> = {};
    const cells = Object.entries(row.values);
    if (this.#idVariable && !('id' in row.values)) cells.unshift(['id', row.id]);
    for (const [name, raw] of cells) {
      const variable = this.#byName.get(name);
      if (!variable) continue;
      const value = convert(variable, row.loose && typeof raw !== 'string' ? spreadsheetValue(variable, raw) : raw, this.baseDir);
      if (value instanceof ConversionError) return { ok: false, column: name, message: value.message };
      if (value !== undefined) converted[name] = value;
    }
    const result = validateInputs(this.#variables, converted);
    if (!result.ok) return { ok: false, column: result.variable, message: result.message };
    return { ok: true, inputs: result.values };
  }

  /** Uploads pending local files and returns the inputs to send. */
  async resolveFiles(inputs: Record<string, unknown>, uploader: FileUploader): Promise<WorkflowInputs> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(inputs)) {
      if (value instanceof PendingFile) out[name] = await uploader.resolve(value.ref);
      else if (Array.isArray(value) && value.some((item) => item instanceof PendingFile)) {
        const files: FileInput[] = [];
        for (const item of value) files.push(item instanceof PendingFile ? await uploader.resolve(item.ref) : (item as FileInput));
        out[name] = files;
      } else out[name] = value;
    }
    return out as WorkflowInputs;
  }
}

/** What a request body looks like before upload, for --dry-run. */
export function describeInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const show = (value: unknown): unknown =>
    value instanceof PendingFile
      ? value.ref.kind === 'url'
        ? { type: value.ref.type, transfer_method: 'remote_url', url: value.ref.url }
        : { type: value.ref.type, transfer_method: 'local_file', upload_file_id: `<upload of ${value.ref.path}>` }
      : Array.isArray(value)
        ? value.map(show)
        : value;
  return Object.fromEntries(Object.entries(inputs).map(([key, value]) => [key, show(value)]));
}

/**
 * A spreadsheet cell's type is the spreadsheet's guess (a zip code typed as a number): a number
 * or boolean in a text column is sent as its text; typed columns take the cell's own type.
 */
function spreadsheetValue(variable: InputVariable, raw: unknown): unknown {
  const textual = variable.type === 'text-input' || variable.type === 'paragraph' || variable.type === 'select';
  return textual && (typeof raw === 'number' || typeof raw === 'boolean') ? String(raw) : raw;
}

class ConversionError {
  constructor(readonly message: string) {}
}

/**
 * Converts a cell (a string from CSV, or a typed JSONL value) for its declared type. An empty
 * CSV cell of a non-text type means "no value" (required check and defaults then apply); so
 * does an empty select cell, which no option could match.
 */
function convert(variable: InputVariable, raw: unknown, baseDir: string): unknown {
  const name = variable.variable;
  const blank = typeof raw === 'string' && raw.trim() === '';
  switch (variable.type) {
    case 'number':
    case 'checkbox':
    case 'select':
      return blank ? undefined : raw;
    case 'json_object':
      if (blank) return undefined;
      if (typeof raw !== 'string') return raw;
      try {
        return JSON.parse(raw);
      } catch {
        return new ConversionError(`${name} in input form must be a dict (the cell is not valid JSON)`);
      }
    case 'file': {
      if (blank) return undefined;
      if (typeof raw !== 'string') return raw;
      const ref = toFileRef(raw, baseDir);
      return typeof ref === 'string' ? new ConversionError(`${name}: ${ref}`) : new PendingFile(ref);
    }
    case 'file-list': {
      if (blank) return undefined;
      if (typeof raw !== 'string' && !(Array.isArray(raw) && raw.every((item) => typeof item === 'string'))) return raw;
      let entries: string[];
      try {
        entries = typeof raw === 'string' ? splitFileList(raw) : (raw as string[]);
      } catch (error) {
        return new ConversionError(`${name}: ${(error as Error).message}`);
      }
      const files: PendingFile[] = [];
      for (const entry of entries) {
        const ref = toFileRef(entry, baseDir);
        if (typeof ref === 'string') return new ConversionError(`${name}: ${ref}`);
        files.push(new PendingFile(ref));
      }
      return files;
    }
    default:
      return raw;
  }
}
