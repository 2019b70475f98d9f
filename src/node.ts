/**
 * Node-only helpers: upload from a file path, a node:http fetch for many runs. Kept out of the main entry so the SDK core has
 * no `node:*` imports and runs in browsers and edge runtimes.
 */
export { createNodeFetch, type NodeFetchOptions } from './node/http-fetch.js';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { DifyClient } from './client/client.js';
import type { RequestOptions } from './client/transport.js';
import type { FileUploadResponse } from './protocol/index.js';

const MIME_TYPES: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  epub: 'application/epub+zip',
  eml: 'message/rfc822',
  msg: 'application/vnd.ms-outlook',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  webm: 'audio/webm',
  amr: 'audio/amr',
  mpga: 'audio/mpeg',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mpeg: 'video/mpeg',
};

/** The MIME type for a file name, by extension (application/octet-stream when unknown). */
export function mimeTypeFor(filename: string): string {
  return MIME_TYPES[extname(filename).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

/** A File backed by the file on disk (not read into memory until sent). */
export async function fileFromPath(path: string, options: { filename?: string; mimeType?: string } = {}): Promise<File> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  const filename = options.filename ?? basename(path);
  const blob = await openAsBlob(path, { type: options.mimeType ?? mimeTypeFor(filename) });
  return new File([blob], filename, { type: blob.type });
}

/** Uploads a file from disk: `await uploadFromPath(dify, './report.pdf', { user })`. */
export async function uploadFromPath(
  client: DifyClient,
  path: string,
  params: { user?: string; filename?: string; mimeType?: string } = {},
  options?: RequestOptions,
): Promise<FileUploadResponse> {
  const file = await fileFromPath(path, params);
  return client.files.upload(file, { user: params.user, filename: file.name, mimeType: file.type }, options);
}
