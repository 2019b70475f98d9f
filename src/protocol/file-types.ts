/**
 * The one file-type table of difyrun: which Dify file type (image, video, audio, document)
 * an extension belongs to, and the MIME type to send for it.
 *
 * The kinds follow Dify 1.13 on a default deployment (ETL_TYPE "dify"): `webm` is video,
 * `mpga` is audio, and Office formats other than docx/xls/xlsx are not documents (with the
 * Unstructured ETL they are; the server then also accepts them as `document`). Dify checks
 * the type a Service API client states for an uploaded file against this detection and
 * rejects a run whose stated type differs, so the client must state exactly this.
 */
import type { FileType } from './common.js';

type Kind = Exclude<FileType, 'custom'>;

/** extension → [Dify's type, MIME type]. */
const TABLE: Readonly<Record<string, readonly [Kind, string]>> = {
  jpg: ['image', 'image/jpeg'],
  jpeg: ['image', 'image/jpeg'],
  png: ['image', 'image/png'],
  webp: ['image', 'image/webp'],
  gif: ['image', 'image/gif'],
  svg: ['image', 'image/svg+xml'],
  mp4: ['video', 'video/mp4'],
  mov: ['video', 'video/quicktime'],
  mpeg: ['video', 'video/mpeg'],
  webm: ['video', 'video/webm'],
  mp3: ['audio', 'audio/mpeg'],
  m4a: ['audio', 'audio/mp4'],
  wav: ['audio', 'audio/wav'],
  amr: ['audio', 'audio/amr'],
  mpga: ['audio', 'audio/mpeg'],
  txt: ['document', 'text/plain'],
  markdown: ['document', 'text/markdown'],
  md: ['document', 'text/markdown'],
  mdx: ['document', 'text/markdown'],
  pdf: ['document', 'application/pdf'],
  html: ['document', 'text/html'],
  htm: ['document', 'text/html'],
  xlsx: ['document', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  xls: ['document', 'application/vnd.ms-excel'],
  docx: ['document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  csv: ['document', 'text/csv'],
  vtt: ['document', 'text/vtt'],
  properties: ['document', 'text/plain'],
};

/** MIME types for extensions that are no Dify type of their own (they upload as `custom`). */
const OTHER_MIME_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  xml: 'application/xml',
  doc: 'application/msword',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  epub: 'application/epub+zip',
  eml: 'message/rfc822',
  msg: 'application/vnd.ms-outlook',
};

/** The extensions of each Dify file type, lower case. */
export const FILE_EXTENSIONS: Readonly<Record<Kind, readonly string[]>> = {
  image: extensionsOf('image'),
  video: extensionsOf('video'),
  audio: extensionsOf('audio'),
  document: extensionsOf('document'),
};

function extensionsOf(kind: Kind): string[] {
  return Object.keys(TABLE).filter((ext) => TABLE[ext]![0] === kind);
}

/** The extension of a file name or URL path, lower case, without the dot ("" when none). */
export function extensionOf(name: string): string {
  const base =
    name
      .replace(/[?#].*$/, '')
      .split(/[/\\]/)
      .pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/**
 * Dify's type for an extension (with or without the dot), or undefined when it has none.
 * Like Dify, all-lower and all-upper case match ("PNG"), mixed case does not ("Png").
 */
export function fileTypeOfExtension(extension: string): Kind | undefined {
  const ext = extension.replace(/^\./, '');
  if (ext !== ext.toLowerCase() && ext !== ext.toUpperCase()) return undefined;
  return TABLE[ext.toLowerCase()]?.[0];
}

/** What Dify detects for a stored file: by extension, else by MIME type, else `custom`. */
export function detectFileType(extension: string, mimeType = ''): FileType {
  const byExtension = fileTypeOfExtension(extension);
  if (byExtension) return byExtension;
  if (mimeType.includes('image')) return 'image';
  if (mimeType.includes('video')) return 'video';
  if (mimeType.includes('audio')) return 'audio';
  if (mimeType.includes('text') || mimeType.includes('pdf')) return 'document';
  return 'custom';
}

/** The type to state for a file name or URL, given the MIME type it is sent with. */
export function fileTypeForName(name: string, mimeType = mimeTypeForName(name)): FileType {
  return detectFileType(extensionOf(name), mimeType);
}

/** The MIME type to upload a file name with (application/octet-stream when unknown). */
export function mimeTypeForName(name: string): string {
  const ext = extensionOf(name);
  return TABLE[ext]?.[1] ?? OTHER_MIME_TYPES[ext] ?? 'application/octet-stream';
}
