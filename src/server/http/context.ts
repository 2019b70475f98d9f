/** What a route handler gets: the request, its parsed parts, and the server's parts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  AppInfo,
  AppMeta,
  AppParameters,
  AppSite,
  ErrorEnvelope,
  FileUploadResponse,
  StopResponse,
  WorkflowBlockingResponse,
  WorkflowLogsPage,
  WorkflowRunDetailWire,
} from '../../protocol/index.js';
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
  /**
   * Reproduce the real server's flaws that clients must survive (default true): a rejected
   * streaming run pings then goes silent, stops are not recorded, 500s for a non-UUID run id
   * or a non-object body, an HTML 404. False turns them into plain errors (local development).
   */
  flaws: boolean;
  pingIntervalMs: number;
  /** How long a streaming run Dify rejected stays open, silent, before it is closed (Dify: 300 s). */
  rejectedStreamMs: number;
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
  /** When the request arrived (Date.now()): the latency fault counts from here. */
  arrivedAt: number;
}

/** Every JSON body the server sends is one of the protocol's wire types. */
export type WireBody =
  | WorkflowBlockingResponse
  | WorkflowRunDetailWire
  | WorkflowLogsPage
  | StopResponse
  | FileUploadResponse
  | AppInfo
  | AppMeta
  | AppParameters
  | AppSite
  | ErrorEnvelope;

/** Dify sends JSON as `application/json`; run results add a charset. */
export function sendJson(res: ServerResponse, status: number, body: WireBody, headers: Record<string, string> = {}, text = JSON.stringify(body)): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
