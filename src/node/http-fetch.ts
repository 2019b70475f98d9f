/**
 * A `fetch` for Node built on node:http, for the many small streaming runs of a batch.
 *
 * Node's global fetch (undici) costs about 1.1 ms of CPU more per streaming run than node:http
 * on the same server (1.8 against 0.7 ms, measured with 64 runs in flight): Request/Response
 * objects, web streams made transferable, an AbortSignal chain per request. At hundreds of rows
 * a second that is most of a batch's CPU. This implements the part of fetch the SDK uses:
 *
 * - responses are Response-shaped (node-response.ts): an event stream's `body` has only
 *   `getReader()` over the socket's chunks; neither undici nor web streams are loaded for a
 *   batch's requests;
 * - a FormData body (uploads) or a redirect is handed to the global fetch, which knows both;
 * - a failed connection rejects as fetch does: a TypeError "fetch failed" whose `cause` has the
 *   system error's `code`, which is what the transport reads to tell "never sent" apart.
 *
 * Idle keep-alive sockets are closed after 4 s, or a second before the server's own Keep-Alive
 * hint, so a request is rarely written to a socket the server is closing (undici does the same).
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { FetchLike } from '../client/transport.js';
import { NodeResponse } from './node-response.js';

export interface NodeFetchOptions {
  /** Close an idle kept-alive socket after this many ms. Default 4000. */
  idleSocketMs?: number;
  /** For what node:http does not do (FormData bodies, redirects). Default: globalThis.fetch. */
  fallback?: FetchLike;
}

export function createNodeFetch(options: NodeFetchOptions = {}): FetchLike {
  const idleMs = options.idleSocketMs ?? 4000;
  // Looked up at use: reading the global fetch loads undici.
  const fallback: FetchLike = options.fallback ?? ((input, init) => globalThis.fetch(input, init));
  const clients: Partial<Record<string, HttpClient>> = { 'http:': { module: http, agent: idleClosingAgent(http.Agent, idleMs) } };
  const clientFor = (protocol: string): HttpClient | undefined => {
    if (protocol !== 'https:' || clients[protocol]) return clients[protocol];
    // node:https (and TLS under it) is loaded at the first https: request, not at start-up.
    const https = createRequire(import.meta.url)('node:https') as typeof import('node:https');
    return (clients[protocol] = { module: https, agent: idleClosingAgent(https.Agent, idleMs) });
  };

  return async (input, init = {}) => {
    const body = init.body ?? null;
    // A Request object goes to the fallback (no `instanceof Request`: reading that global loads undici).
    if ((typeof input !== 'string' && !(input instanceof URL)) || (body !== null && typeof body !== 'string')) return fallback(input, init);
    const url = typeof input === 'string' ? new URL(input) : input;
    const client = clientFor(url.protocol);
    if (!client) return fallback(input, init);
    const headers = plainHeaders(init.headers);
    if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
    const response = await send(client, url, { method: init.method ?? 'GET', headers }, body, init.signal ?? undefined);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location !== undefined) {
      response.resume();
      return fallback(input, init);
    }
    const empty = status === 204 || status === 304 || init.method === 'HEAD';
    return new NodeResponse(response, url.href, { eventStream: headers['accept'] === 'text/event-stream', empty }) as unknown as Response;
  };
}

/** Resolves with the response once its headers arrived; the signal aborts the request at any point. */
function send(client: HttpClient, url: URL, request: http.RequestOptions, body: string | null, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const req = client.module.request(url, { ...request, agent: client.agent }, (response) => {
      // From here an abort ends the body: the reader sees the error.
      resolve(response);
    });
    const onAbort = () => req.destroy(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.once('error', (error) => reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error })));
    req.end(body ?? undefined);
  });
}

interface HttpClient {
  module: Pick<typeof http, 'request'>;
  agent: http.Agent;
}

/** A keep-alive agent whose idle sockets close after `idleMs`; a reused socket has no timer while it works. */
function idleClosingAgent(Base: typeof http.Agent, idleMs: number): http.Agent {
  return new (class extends Base {
    override keepSocketAlive(socket: import('node:net').Socket): boolean {
      // Node returns whether the socket may be kept (false when the server's hint is too short); its types say void.
      const keep = (super.keepSocketAlive(socket) as unknown) !== false;
      if (keep && (socket.timeout === undefined || socket.timeout === 0 || socket.timeout > idleMs)) socket.setTimeout(idleMs);
      return keep;
    }
    override reuseSocket(socket: import('node:net').Socket, request: http.ClientRequest): void {
      socket.setTimeout(0);
      super.reuseSocket(socket, request);
    }
  })({ keepAlive: true });
}

/** Lower-case names, as node:http sends them; a plain record is copied without building a Headers (which loads undici). */
function plainHeaders(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  // A Headers or an array of pairs iterates; a record does not. (No `instanceof Headers`: reading that global loads undici.)
  const entries = init === undefined ? [] : Symbol.iterator in init ? (init as Iterable<[string, string]>) : Object.entries(init);
  for (const [key, value] of entries) out[key.toLowerCase()] = value;
  return out;
}
