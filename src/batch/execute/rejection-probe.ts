/**
 * Asks Dify whether it rejected a silent streaming row, with a request that cannot run anything.
 *
 * The probe is a blocking POST whose legacy `files` hold the row's file references and whose
 * inputs give every variable a value Dify's input check always refuses (a number for a text
 * input, a word for a number, a file or a JSON object). Dify 1.13 resolves `files` before it
 * checks inputs (observed against the real server): an unknown `upload_file_id` answers with its
 * own 400 ("Invalid upload file"), files that exist answer with the refused input instead. No
 * answer can start a run, since the inputs never pass.
 *
 * Only errors about a file reference itself count as the row's rejection: the legacy `files`
 * are checked against the app's upload settings, not the variable's, so other file errors say
 * nothing about the row. A row without file references, a pinned workflow version (whose form
 * may differ from the published one) or a form with no refusable variable is not probed.
 */
import type { DifyClient } from '../../client/client.js';
import { BadRequestError } from '../../client/errors.js';
import type { FileInput, InputVariable, WorkflowInputs } from '../../protocol/index.js';

/** Dify's messages for a file reference that cannot be resolved, whatever the upload settings. */
const FILE_REJECTED = /^(Invalid upload file|Detected file type does not match|Invalid file transfer method|transfer_method is required)/;

export interface ProbedRow {
  inputs: WorkflowInputs;
  user: string;
  workflowId: string | undefined;
}

/** Dify's own error when it rejects the row's files; undefined when the files are fine or nothing was learnt. */
export async function probeRejection(
  client: DifyClient,
  row: ProbedRow,
  variables: readonly InputVariable[],
  signal?: AbortSignal,
): Promise<BadRequestError | undefined> {
  if (row.workflowId !== undefined) return undefined;
  const files = fileReferences(row.inputs);
  const refused = refusedInputs(variables);
  if (files.length === 0 || refused === undefined) return undefined;
  try {
    await client.workflows.run({ inputs: refused, files, user: row.user }, { maxRetries: 0, timeout: 10_000, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (error instanceof BadRequestError && FILE_REJECTED.test(error.message)) return error;
  }
  return undefined;
}

/** The row's file references (single files and file lists). */
export function fileReferences(inputs: WorkflowInputs): FileInput[] {
  const files: FileInput[] = [];
  for (const value of Object.values(inputs)) {
    for (const item of Array.isArray(value) ? value : [value]) if (isFileReference(item)) files.push(item);
  }
  return files;
}

function isFileReference(value: unknown): value is FileInput {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { transfer_method?: unknown }).transfer_method === 'string';
}

/** A value for every variable that Dify's input check refuses; undefined when none can be refused. */
export function refusedInputs(variables: readonly InputVariable[]): WorkflowInputs | undefined {
  const inputs: WorkflowInputs = {};
  for (const variable of variables) {
    const value = refusedValue(variable.type);
    if (value !== undefined) inputs[variable.variable] = value;
  }
  return Object.keys(inputs).length > 0 ? inputs : undefined;
}

function refusedValue(type: string): string | number | undefined {
  switch (type) {
    case 'text-input':
    case 'paragraph':
    case 'select':
      return 0; // "must be a string"
    case 'number':
      return 'not a number';
    case 'file':
    case 'file-list':
    case 'json_object':
      return 'not a file or object';
    default:
      return undefined; // a checkbox takes anything
  }
}
