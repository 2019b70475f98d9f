/**
 * File-typed input columns: a cell holds a local path (uploaded once via /files/upload and
 * cached per path) or an http(s) URL (sent as `remote_url`). A file-list cell holds several,
 * as a JSON array or separated by newlines or `;`.
 */
import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { DifyClient } from '../../client/client.js';
import { uploadFromPath } from '../../node.js';
import type { FileInput, FileType } from '../../protocol/index.js';

/** A file reference before upload: what the cell said, checked to exist. */
export type FileRef = { kind: 'url'; url: string; type: FileType } | { kind: 'path'; path: string; type: FileType };

const TYPES: Record<string, FileType> = {};
for (const ext of ['jpg', 'jpeg', 'png', 'gif', 'webp', 'svg']) TYPES[ext] = 'image';
for (const ext of ['mp3', 'm4a', 'wav', 'webm', 'amr', 'mpga']) TYPES[ext] = 'audio';
for (const ext of ['mp4', 'mov', 'mpeg']) TYPES[ext] = 'video';
for (const ext of ['txt', 'md', 'markdown', 'mdx', 'pdf', 'html', 'xlsx', 'xls', 'doc', 'docx', 'csv', 'eml', 'msg', 'pptx', 'ppt', 'xml', 'epub']) {
  TYPES[ext] = 'document';
}

/** Dify's file type for a name or URL, by extension ("custom" when unknown). */
export function fileTypeFor(name: string): FileType {
  const path = name.replace(/[?#].*$/, '');
  return TYPES[extname(path).slice(1).toLowerCase()] ?? 'custom';
}

/** Splits a file-list cell into its entries. */
export function splitFileList(cell: string): string[] {
  const trimmed = cell.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string')) throw new Error('expected a JSON array of paths or URLs');
    return parsed as string[];
  }
  return trimmed
    .split(/[;\n]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Turns one path or URL into a FileRef, or a message saying what is wrong with it. */
export function toFileRef(value: string, baseDir: string): FileRef | string {
  const text = value.trim();
  if (/^https?:\/\//i.test(text)) return { kind: 'url', url: text, type: fileTypeFor(text) };
  const path = resolve(baseDir, text.replace(/^file:(\/\/)?/, ''));
  try {
    if (!statSync(path).isFile()) return `"${text}" is not a file`;
  } catch {
    return `file "${text}" not found`;
  }
  return { kind: 'path', path, type: fileTypeFor(path) };
}

/** Uploads each local file once (per absolute path) and builds Dify's file objects. */
export class FileUploader {
  readonly #uploads = new Map<string, Promise<string>>();
  constructor(
    private readonly client: DifyClient,
    private readonly user: string,
  ) {}

  get uploadCount(): number {
    return this.#uploads.size;
  }

  async resolve(ref: FileRef): Promise<FileInput> {
    if (ref.kind === 'url') return { type: ref.type, transfer_method: 'remote_url', url: ref.url };
    let upload = this.#uploads.get(ref.path);
    if (!upload) {
      upload = uploadFromPath(this.client, ref.path, { user: this.user }).then((response) => response.id);
      // A failed upload is not cached: the next row using the file tries again.
      upload.catch(() => this.#uploads.delete(ref.path));
      this.#uploads.set(ref.path, upload);
    }
    return { type: ref.type, transfer_method: 'local_file', upload_file_id: await upload };
  }
}
