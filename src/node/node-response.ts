/**
 * A Response-shaped view of a node:http response, built without undici or web streams: the
 * status, lazily built `headers`, `text()`, `json()`, `arrayBuffer()` and `blob()`, and a
 * `body`. An event stream's body has only `getReader()` (read, cancel, releaseLock: all the
 * SDK's stream layer calls) over the socket's chunks; any other body is a web ReadableStream
 * made when first asked for (downloads keep `.pipeTo()` and the rest).
 *
 * Building `Headers` or a `Response` loads Node's undici on first use (~40 ms of a batch's
 * start-up) and costs per request; a batch never needs either on its success path.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export class NodeResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly redirected = false;
  readonly type = 'basic';
  #headers: Headers | undefined;
  #body: unknown;
  #used = false;

  constructor(
    private readonly message: IncomingMessage,
    readonly url: string,
    private readonly shape: { eventStream: boolean; empty: boolean },
  ) {
    this.status = message.statusCode ?? 0;
    this.statusText = message.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
  }

  get headers(): Headers {
    if (!this.#headers) {
      const raw = this.message.rawHeaders;
      this.#headers = new Headers();
      for (let i = 0; i + 1 < raw.length; i += 2) this.#headers.append(raw[i]!, raw[i + 1]!);
    }
    return this.#headers;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.shape.empty) return null;
    this.#body ??= this.shape.eventStream ? chunkReader(this.message) : Readable.toWeb(this.message);
    return this.#body as ReadableStream<Uint8Array>;
  }

  async text(): Promise<string> {
    // TextDecoder, as fetch: invalid bytes become U+FFFD and a leading BOM is dropped.
    return new TextDecoder().decode(await this.#bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.#bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> {
    return new Blob([(await this.#bytes()) as Uint8Array<ArrayBuffer>], { type: this.headers.get('content-type') ?? '' });
  }

  async #bytes(): Promise<Buffer> {
    if (this.#used || this.#body !== undefined) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    if (this.shape.empty) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    for await (const chunk of this.message) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

/** The part of a ReadableStream the SDK's event stream uses, straight over the socket's chunks. */
function chunkReader(message: IncomingMessage): Pick<ReadableStream<Uint8Array>, 'getReader'> {
  return {
    getReader() {
      const chunks = message[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      return {
        read: () => chunks.next(),
        cancel: async () => {
          message.destroy();
          await chunks.return?.();
        },
        releaseLock() {},
        closed: Promise.resolve(undefined),
      } as unknown as ReadableStreamDefaultReader<Uint8Array>;
    },
  } as Pick<ReadableStream<Uint8Array>, 'getReader'>;
}
