/**
 * File inputs of a run, checked and turned into Dify's File objects the way Dify 1.13's
 * Service API does it (measured on the real server): the transfer method, the upload's id,
 * format and existence, the stated type against the detected one (single `file` inputs
 * only), then the variable's allowed types, extensions and upload methods. The first
 * failure is the run's 400 invalid_param message.
 *
 * A remote URL is not fetched (Dify sends it a HEAD request first); its type comes from
 * the URL's extension.
 */
import type { FileType, InputVariable } from '../protocol/index.js';
import { detectFileType, extensionOf, mimeTypeForName } from '../protocol/file-types.js';
import type { RunStore } from './store/types.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const TRANSFER_METHODS = ['remote_url', 'local_file', 'tool_file', 'datasource_file'];

/** What a file input becomes inside the run (Dify's File, serialised). */
export interface FileValue {
  dify_model_identity: '__dify__file__';
  id: string | null;
  tenant_id: string;
  type: FileType;
  transfer_method: string;
  remote_url: string | null;
  related_id: string | null;
  filename: string;
  extension: string;
  mime_type: string;
  size: number;
  url: string | null;
}

export interface FileContext {
  store: RunStore;
  tenantId: string;
  /** Where an upload can be fetched from (the preview URL). */
  uploadURL: (id: string) => string;
}

class FileInputError extends Error {}

/** Resolves every file input in `values` (already form-validated); returns the new values or Dify's message. */
export function resolveFileInputs(
  variables: InputVariable[],
  values: Record<string, unknown>,
  ctx: FileContext,
): { ok: true; values: Record<string, unknown> } | { ok: false; message: string } {
  const resolved = { ...values };
  try {
    for (const variable of variables) {
      const value = values[variable.variable];
      if (variable.type === 'file' && isMapping(value)) resolved[variable.variable] = buildFile(value, variable, ctx, true);
      if (variable.type === 'file-list' && Array.isArray(value) && value.every(isMapping)) {
        resolved[variable.variable] = value.filter(isUsableMapping).map((mapping) => buildFile(mapping, variable, ctx, false));
      }
    }
  } catch (error) {
    if (error instanceof FileInputError) return { ok: false, message: error.message };
    throw error;
  }
  return { ok: true, values: resolved };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** In a file list Dify skips entries with no transfer method, and remote entries with no URL. */
function isUsableMapping(mapping: Record<string, unknown>): boolean {
  if (!mapping['transfer_method']) return false;
  return mapping['transfer_method'] !== 'remote_url' || Boolean(mapping['url'] || mapping['remote_url']);
}

function buildFile(mapping: Record<string, unknown>, variable: InputVariable, ctx: FileContext, strict: boolean): FileValue {
  const method = mapping['transfer_method'];
  if (!method) throw new FileInputError('transfer_method is required in file mapping');
  if (typeof method !== 'string' || !TRANSFER_METHODS.includes(method)) throw new FileInputError(`No matching enum found for value '${String(method)}'`);
  const stated = typeof mapping['type'] === 'string' ? (mapping['type'] as FileType) : undefined;
  const file = method === 'local_file' ? fromUpload(mapping, ctx) : fromUrl(mapping, ctx);
  if (strict && (stated ?? 'custom') !== file.type && (method === 'local_file' || stated)) {
    throw new FileInputError('Detected file type does not match the specified type. Please verify the file.');
  }
  if (stated && stated !== 'custom') file.type = stated;
  file.transfer_method = method;
  file.id = typeof mapping['id'] === 'string' ? mapping['id'] : null;
  if (!allowedByVariable(stated ?? 'custom', file, variable)) throw new FileInputError(`File validation failed for file: ${file.filename}`);
  return file;
}

function fromUpload(mapping: Record<string, unknown>, ctx: FileContext): FileValue {
  const id = mapping['upload_file_id'];
  if (!id) throw new FileInputError('Invalid upload file id');
  if (typeof id !== 'string' || !UUID.test(id)) throw new FileInputError('Invalid upload file id format');
  const upload = ctx.store.getUpload(id);
  if (!upload) throw new FileInputError('Invalid upload file');
  const url = ctx.uploadURL(id);
  return {
    dify_model_identity: '__dify__file__',
    id: null,
    tenant_id: ctx.tenantId,
    type: detectFileType(upload.extension, upload.mimeType),
    transfer_method: 'local_file',
    remote_url: url,
    related_id: id,
    filename: upload.name,
    extension: `.${upload.extension}`,
    mime_type: upload.mimeType,
    size: upload.size,
    url,
  };
}

function fromUrl(mapping: Record<string, unknown>, ctx: FileContext): FileValue {
  const url = mapping['url'] ?? mapping['remote_url'];
  if (typeof url !== 'string' || url === '') throw new FileInputError('Invalid file url');
  const filename = decodeURIComponent(new URL(url, 'http://local').pathname.split('/').pop() ?? '') || 'file';
  const extension = extensionOf(filename);
  const mimeType = mimeTypeForName(filename);
  return {
    dify_model_identity: '__dify__file__',
    id: null,
    tenant_id: ctx.tenantId,
    type: detectFileType(extension, mimeType),
    transfer_method: 'remote_url',
    remote_url: url,
    related_id: null,
    filename,
    extension: extension ? `.${extension}` : '.bin',
    mime_type: mimeType,
    size: -1,
    url,
  };
}

/** The variable's allowed types, extensions (for `custom`) and upload methods. */
function allowedByVariable(stated: FileType, file: FileValue, variable: InputVariable): boolean {
  if (file.transfer_method === 'tool_file') return true;
  const types = variable.allowed_file_types ?? [];
  if (types.length > 0 && !types.includes(stated) && stated !== 'custom') return false;
  if (stated === 'custom' && !(variable.allowed_file_extensions ?? []).includes(file.extension)) return false;
  if (stated === 'image') return true; // images are checked against the app's image settings, which variables lack
  const methods = variable.allowed_file_upload_methods ?? [];
  return methods.length === 0 || methods.includes(file.transfer_method as (typeof methods)[number]);
}
