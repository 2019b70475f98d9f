/**
 * A scripted HTTP server on 127.0.0.1 for client tests: each request is recorded and answered
 * by the next handler in the script (or a fallback). Real sockets, so retries, timeouts,
 * resets and multipart bodies are exercised as they happen on the wire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface ScriptServer {
  baseURL: string;
  requests: RecordedRequest[];
  /** Queue handlers answered in order; the fallback answers once the queue is empty. */
  script(...handlers: Handler[]): void;
  /** Forgets queued handlers and recorded requests (call between tests). */
  clear(): void;
  close(): Promise<void>;
}

export async function startScriptServer(fallback?: Handler): Promise<ScriptServer> {
  const queue: Handler[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(recorded);
    const handler = queue.shift() ?? fallback ?? ((_r, response) => json(response, 404, { code: 'not_found', message: 'no handler', status: 404 }));
    await handler(recorded, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...handlers) => queue.push(...handlers),
    clear: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function text(res: ServerResponse, status: number, body: string, contentType = 'text/html'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}

/** Destroys the socket without answering: the client sees a reset. */
export function reset(_req: RecordedRequest, res: ServerResponse): void {
  res.socket?.destroy();
}

/** Never answers (until the server closes). */
export function hang(): void {}

/** The `data` of a `workflow_finished` event for run `id`: succeeded, one step, unless `overrides` say otherwise. */
export function finishedRun(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    workflow_id: 'w',
    status: 'succeeded',
    outputs: {},
    error: null,
    elapsed_time: 1,
    total_tokens: 0,
    total_steps: 1,
    created_at: 1,
    finished_at: 2,
    ...overrides,
  };
}
