/** What a route handler gets: the request, its parsed parts, and the server's parts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkflowApp } from '../dsl/types.js';
import type { FaultInjector } from '../faults.js';
import type { RunManager } from '../run-manager.js';
import type { RunStore } from '../store/types.js';

export interface ServerParts {
  app: WorkflowApp;
  appId: string;
  tenantId: string;
  store: RunStore;
  runs: RunManager;
  faults: FaultInjector;
  pingIntervalMs: number;
  /** Upload size limits in MB by kind (Dify's UPLOAD_*_FILE_SIZE_LIMIT). */
  uploadLimits: { image: number; video: number; audio: number; file: number };
  baseURL: () => string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  /** The parsed JSON body (JSON endpoints only). */
  body: Record<string, unknown>;
  /** The end-user session id (`user`), when the endpoint reads one. */
  user: string | undefined;
  parts: ServerParts;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
