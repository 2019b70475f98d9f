/**
 * DifyClient: the SDK entry point. Owns configuration and the transport; resources are thin
 * method groups on top (`workflows`, `files`, `app`).
 */
import { DifyError } from './errors.js';
import { App } from './resources/app.js';
import { Files } from './resources/files.js';
import { Workflows } from './resources/workflows.js';
import { DEFAULT_STALL_CHECK_AFTER_MS } from './stall-check.js';
import { Transport, type FetchLike } from './transport.js';

export const DEFAULT_BASE_URL = 'https://api.dify.ai/v1';
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60 * 1000;
export const DEFAULT_MAX_RETRIES = 2;

export interface ClientOptions {
  /** App API key (`app-…`). Default: env DIFY_API_KEY. */
  apiKey?: string | undefined;
  /** Default: env DIFY_API_BASE_URL, else https://api.dify.ai/v1. */
  baseURL?: string | undefined;
  /**
   * Milliseconds to wait for response headers. Default 10 minutes. Also the cap on every other
   * wait: a retry's backoff and each stream deadline (idle, event, start).
   */
  timeout?: number | undefined;
  /** Retries for calls that are safe to retry. Default 2. */
  maxRetries?: number | undefined;
  /** Abort a stream after this many ms with no bytes at all (pings count), once its run started. Default 60 s. */
  streamIdleTimeout?: number | undefined;
  /** Abort a stream after this many ms with pings but no event. Off by default. */
  eventTimeout?: number | undefined;
  /** Abort a stream when its run has not started this many ms after the response opened. Default: `timeout`. */
  startTimeout?: number | undefined;
  /** A stream quiet this long after its run started checks run detail (see README "Stalled streams"). Default 5 s; 0 turns it off. */
  stallCheckAfter?: number | undefined;
  /** A fetch implementation (default: globalThis.fetch). */
  fetch?: FetchLike | undefined;
  defaultHeaders?: Record<string, string> | undefined;
}

export class DifyClient {
  readonly workflows: Workflows;
  readonly files: Files;
  readonly app: App;
  readonly baseURL: string;
  readonly #transport: Transport;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey ?? readEnv('DIFY_API_KEY');
    if (!apiKey) {
      throw new DifyError('Missing API key: pass { apiKey } or set the DIFY_API_KEY environment variable.');
    }
    const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (!fetchImpl) throw new DifyError('No fetch implementation found: pass { fetch }.');
    this.baseURL = (options.baseURL ?? readEnv('DIFY_API_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#transport = new Transport({
      apiKey,
      baseURL: this.baseURL,
      timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      fetch: fetchImpl,
      defaultHeaders: options.defaultHeaders ?? {},
    });
    this.workflows = new Workflows(this.#transport, {
      streamIdleTimeout: options.streamIdleTimeout ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
      eventTimeout: options.eventTimeout,
      startTimeout: options.startTimeout,
      stallCheckAfter: options.stallCheckAfter ?? DEFAULT_STALL_CHECK_AFTER_MS,
    });
    this.files = new Files(this.#transport);
    this.app = new App(this.#transport);
  }

  /** The key never appears in inspection output (console.log, util.inspect, JSON.stringify). */
  toJSON(): object {
    return { baseURL: this.baseURL };
  }
}

/** Reads an environment variable where the runtime has one (Node, Bun; Deno via its process shim). */
function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name]?.trim();
  return value ? value : undefined;
}
