/** POST /files/upload (multipart, 201) and GET /files/{id}/preview, with Dify's checks and limits (research §5.1). */
import { randomUUID } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import busboy from 'busboy';
import { ApiError } from '../api-error.js';
import { extensionOf, fileTypeOfExtension } from '../../../protocol/file-types.js';
import { sendJson, type RequestContext } from '../context.js';

/** Dify 1.13 rejects only path separators in a name (it stores files under their id). */
const INVALID_NAME = /[/\\]/;

interface FilePart {
  filename: string;
  mimeType: string;
  bytes: Buffer;
  truncated: boolean;
}

export async function uploadFile(ctx: RequestContext): Promise<void> {
  const { parts } = ctx;
  const contentType = ctx.req.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) throw new ApiError(400, 'no_file_uploaded', 'Please upload your file.');
  const maxBytes = Math.max(parts.uploadLimits.image, parts.uploadLimits.video, parts.uploadLimits.audio, parts.uploadLimits.file) * 1024 * 1024;
  const { files, fields } = await readMultipart(ctx, maxBytes + 1);
  if (files.length === 0) throw new ApiError(400, 'no_file_uploaded', 'Please upload your file.');
  if (files.length > 1) throw new ApiError(400, 'too_many_files', 'Only one file is allowed.');
  const file = files[0]!;
  if (!file.mimeType) throw new ApiError(415, 'unsupported_file_type', 'File type not allowed.');
  if (!file.filename) throw new ApiError(400, 'filename_not_exists_error', 'The specified filename does not exist.');
  if (INVALID_NAME.test(file.filename)) throw new ApiError(400, 'invalid_param', 'Filename contains invalid characters');
  const extension = extensionOf(file.filename);
  const kind = fileTypeOfExtension(extension);
  const limitMb = kind === 'image' || kind === 'video' || kind === 'audio' ? parts.uploadLimits[kind] : parts.uploadLimits.file;
  if (file.truncated || file.bytes.length > limitMb * 1024 * 1024) {
    // Dify 1.13.2 forgets to fill in its own message template.
    throw new ApiError(413, 'file_too_large', parts.flaws ? 'File size exceeded. {message}' : `File size exceeded. ${file.filename} > ${limitMb} MB`);
  }
  const user = fields['user'] || 'DEFAULT-USER';
  const id = randomUUID();
  const name = truncateName(file.filename, extension);
  const path = parts.store.uploadPath(id);
  if (path) writeFileSync(path, file.bytes);
  const createdAt = Math.floor(Date.now() / 1000);
  const createdBy = parts.store.endUserId(user);
  parts.store.putUpload({
    id,
    name,
    size: file.bytes.length,
    extension,
    mimeType: file.mimeType,
    createdBy,
    createdAt,
    bytes: path ? { path } : new Uint8Array(file.bytes),
  });
  sendJson(ctx.res, 201, {
    id,
    name,
    size: file.bytes.length,
    extension,
    mime_type: file.mimeType,
    created_by: createdBy,
    created_at: createdAt,
    preview_url: null,
    source_url: `${parts.baseURL()}/files/${id}/preview`,
    original_url: null,
    user_id: null,
    tenant_id: parts.tenantId,
    conversation_id: null,
    file_key: null,
  });
}

export function previewFile(ctx: RequestContext): void {
  const upload = ctx.parts.store.getUpload(ctx.params[0]!);
  if (!upload) throw new ApiError(404, 'file_not_found', 'File not found.');
  const headers: Record<string, string> = { 'Content-Type': upload.mimeType, 'Content-Length': String(upload.size) };
  if (ctx.url.searchParams.get('as_attachment') === 'true') headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(upload.name)}`;
  ctx.res.writeHead(200, headers);
  if (upload.bytes instanceof Uint8Array) ctx.res.end(upload.bytes);
  else createReadStream(upload.bytes.path).pipe(ctx.res);
}

function readMultipart(ctx: RequestContext, maxBytes: number): Promise<{ files: FilePart[]; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // Browsers and fetch send a UTF-8 filename; busboy would read it as Latin-1.
      parser = busboy({ headers: ctx.req.headers, defParamCharset: 'utf8', preservePath: true, limits: { fileSize: maxBytes, files: 5, fields: 20 } });
    } catch {
      return reject(new ApiError(400, 'no_file_uploaded', 'Please upload your file.'));
    }
    const files: FilePart[] = [];
    const fields: Record<string, string> = {};
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      const part: FilePart = { filename: info.filename ?? '', mimeType: info.mimeType ?? '', bytes: Buffer.alloc(0), truncated: false };
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => (part.truncated = true));
      stream.on('end', () => {
        part.bytes = Buffer.concat(chunks);
        if (field === 'file') files.push(part);
      });
    });
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('close', () => resolve({ files, fields }));
    parser.on('error', () => reject(new ApiError(400, 'no_file_uploaded', 'Please upload your file.')));
    ctx.req.pipe(parser);
  });
}

/** Dify cuts a name over 200 characters to its part before the first dot (200 at most) plus the extension. */
function truncateName(name: string, extension: string): string {
  if (name.length <= 200) return name;
  return `${name.split('.')[0]!.slice(0, 200)}.${extension}`;
}
