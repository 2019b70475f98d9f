/**
 * The local Dify-compatible server: `startServer({ workflow })` serves one workflow app's
 * Service API on 127.0.0.1, the way Dify 1.13 does, with optional
 * fault injection. Used by `difyrun serve`, `difyrun batch --local` and every test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadWorkflowFile, parseWorkflow } from './dsl/load.js';
import type { WorkflowApp } from './dsl/types.js';
import type { LlmSettings } from './engine/node-context.js';
import { usesPython } from './engine/nodes/code.js';
import { Sandbox, type SandboxLimits } from './engine/sandbox/sandbox.js';
import { FaultInjector, parseFaultSpec, validateFaultSpec, type FaultSpec } from './faults.js';
import type { ServerParts } from './http/context.js';
import { createRequestHandler } from './http/router.js';
import { RunManager } from './run-manager.js';
import { MemoryStore } from './store/memory.js';
import { SqliteStore } from './store/sqlite.js';
import type { RunStore } from './store/types.js';
import { stableUuid } from './stable-id.js';

export { DslError, parseWorkflow, loadWorkflowFile, SUPPORTED_NODE_TYPES } from './dsl/load.js';
export type { FaultSpec } from './faults.js';
export { FaultSpecError, parseFaultSpec } from './faults.js';
export { DataDirError } from './store/sqlite.js';

/** The documented default key of the local server. */
export const LOCAL_API_KEY = 'app-local';
/** The default port of `difyrun serve`: not 5001, which self-hosted Dify's API listens on. */
export const LOCAL_DEFAULT_PORT = 5090;

export interface ServerOptions {
  /** A DSL file path, DSL YAML text (containing a newline), or a loaded app. */
  workflow: string | WorkflowApp;
  host?: string | undefined;
  /** 0 picks a free port. Default LOCAL_DEFAULT_PORT (5090). */
  port?: number | undefined;
  apiKey?: string | undefined;
  /** A FaultSpec, or JSON text / a path to a JSON file. */
  faults?: FaultSpec | string | undefined;
  /** Heartbeat interval for streams (Dify: 10 s). */
  pingIntervalMs?: number | undefined;
  /**
   * Reproduce the real Dify 1.13.2's flaws that clients must survive (default true): a
   * streaming run with rejected inputs pings then stays silent, stops are taken as Dify takes
   * them (`stopFlagCacheMs`; most stay `running` in run detail and logs), a run id that is not a UUID or a body that is not a JSON object
   * gets a 500, an unknown path Flask's HTML 404. False (`serve --no-flaws`) answers them with
   * plain errors instead, for local DSL development.
   */
  flaws?: boolean | undefined;
  /**
   * With the flaws on: how long Dify's stream caches its read of a task's stop flag (Dify: 1 s).
   * A stop during a node that finishes sooner is seen by the graph engine (stream `failed`,
   * run recorded `stopped`); otherwise by the stream (stream `stopped`, run left `running`).
   */
  stopFlagCacheMs?: number | undefined;
  /** How long a rejected streaming run stays open and silent before it ends (Dify: 300 s). */
  rejectedStreamMs?: number | undefined;
  llm?: Partial<LlmSettings>;
  sandbox?: Partial<SandboxLimits>;
  /** Upload limits in MB. */
  uploadLimits?: Partial<ServerParts['uploadLimits']>;
  /** Start the Python runtime at once when the workflow has Python code nodes (default true). */
  warmPython?: boolean;
  /** Keep runs, logs and uploads here (SQLite + files) so they survive a restart; default: in memory. */
  dataDir?: string | undefined;
  /**
   * Without dataDir: keep at most this many finished runs in memory, forgetting the oldest
   * (default: all). `batch --local` sets it so memory stays flat with the number of rows.
   */
  maxSettledRuns?: number | undefined;
}

export interface RunningServer {
  baseURL: string;
  apiKey: string;
  app: WorkflowApp;
  /** Runs the server actually executed (to measure duplicate executions). */
  readonly executedRuns: number;
  /** Runs executing right now. */
  readonly activeRuns: number;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const app =
    typeof options.workflow !== 'string'
      ? options.workflow
      : options.workflow.includes('\n')
        ? parseWorkflow(options.workflow)
        : loadWorkflowFile(options.workflow);
  const apiKey = options.apiKey ?? LOCAL_API_KEY;
  const faultSpec = typeof options.faults === 'string' ? parseFaultSpec(options.faults) : validateFaultSpec(options.faults ?? {});
  const store: RunStore = options.dataDir === undefined ? new MemoryStore({ maxSettledRuns: options.maxSettledRuns }) : SqliteStore.open(options.dataDir);
  const sandbox = new Sandbox(options.sandbox);
  const appId = stableUuid(`app:${app.workflowId}`);
  const tenantId = stableUuid(`tenant:${app.workflowId}`);
  const llm: LlmSettings = { tokensPerSecond: 100, pricePer1kTokens: 0.002, currency: 'USD', ...options.llm };
  const flaws = options.flaws ?? true;
  const runs = new RunManager(app, appId, store, sandbox, llm, !flaws, options.stopFlagCacheMs);
  let baseURL = '';
  const parts: ServerParts = {
    app,
    appId,
    tenantId,
    store,
    runs,
    faults: new FaultInjector(faultSpec),
    flaws,
    pingIntervalMs: options.pingIntervalMs ?? 10_000,
    rejectedStreamMs: options.rejectedStreamMs ?? 300_000,
    uploadLimits: { image: 10, video: 100, audio: 50, file: 15, ...options.uploadLimits },
    baseURL: () => baseURL,
  };
  if ((options.warmPython ?? true) && usesPython(app)) {
    sandbox.warmPython().catch(() => {}); // a failure shows up on the first Python run
  }

  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, createRequestHandler(parts, apiKey));
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? LOCAL_DEFAULT_PORT, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    store.close();
    await sandbox.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseURL = `http://${host}:${address.port}/v1`;

  let closing: Promise<void> | undefined;
  return {
    baseURL,
    apiKey,
    app,
    get executedRuns() {
      return runs.executedRuns;
    },
    get activeRuns() {
      return runs.activeCount;
    },
    close: () =>
      (closing ??= (async () => {
        await runs.stopAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
        await sandbox.close();
        store.close();
      })()),
  };
}
