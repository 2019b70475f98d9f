/** `/files/upload` and `/files/{id}/preview`. */
import type { FileUploadResponse } from '../../protocol/index.js';
import type { RequestOptions, Transport } from '../transport.js';

/** What can be uploaded: anything with bytes. A ReadableStream is read into memory first so retries can resend it. */
export type Uploadable = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array>;

export interface UploadParams {
  user?: string | undefined;
  /** Required unless `file` is a File that has a name. */
  filename?: string | undefined;
  mimeType?: string | undefined;
}

export class Files {
  constructor(private readonly transport: Transport) {}

  /** Uploads one file (multipart fields `file` and `user`); Dify answers 201 with its id. */
  async upload(file: Uploadable, params: UploadParams = {}, options?: RequestOptions): Promise<FileUploadResponse> {
    const blob = await toBlob(file, params.mimeType);
    const filename = params.filename ?? (typeof File !== 'undefined' && file instanceof File ? file.name : undefined);
    if (!filename) throw new TypeError('files.upload: pass a filename (Dify rejects a file part without one)');
    const form = new FormData();
    form.append('file', blob, filename);
    if (params.user !== undefined) form.append('user', params.user);
    return this.transport.json<FileUploadResponse>({ method: 'POST', path: '/files/upload', body: form, idempotency: 'idempotent' }, options);
  }

  /** The raw bytes of an uploaded file, as a Response (read it with .arrayBuffer(), .body …). */
  async preview(fileId: string, params: { user?: string; asAttachment?: boolean } = {}, options?: RequestOptions): Promise<Response> {
    const open = await this.transport.open(
      {
        method: 'GET',
        path: `/files/${encodeURIComponent(fileId)}/preview`,
        query: { user: params.user, as_attachment: params.asAttachment },
        idempotency: 'idempotent',
      },
      options,
    );
    open.release();
    return open.response;
  }
}

async function toBlob(file: Uploadable, mimeType: string | undefined): Promise<Blob> {
  const type = mimeType ?? (file instanceof Blob ? file.type : '') ?? '';
  if (file instanceof Blob) return mimeType && mimeType !== file.type ? new Blob([file], { type }) : file;
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) return new Blob([file as BlobPart], { type: type || 'application/octet-stream' });
  const chunks: Uint8Array[] = [];
  const reader = file.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return new Blob(chunks as BlobPart[], { type: type || 'application/octet-stream' });
}
