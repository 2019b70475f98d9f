/**
 * Where commands send their requests: a Dify server (DIFY_API_BASE_URL / --base-url with
 * DIFY_API_KEY / --api-key), or `--local WORKFLOW.yml`, which starts difyrun's own server
 * in-process on 127.0.0.1 and needs no account. `--local` keeps its runs, logs and uploads in
 * a project-local data directory (local-data-dir.ts), so `run --local` then `status --local`
 * in a second command finds the run.
 */
import { createNodeFetch } from '../../node/http-fetch.js';
import { DifyClient } from '../../client/client.js';
import type { SettingSources } from '../../client/describe-error.js';
import { OptionError, type Env } from './environment.js';
import { localDataDir } from './local-data-dir.js';

export interface ConnectionFlags {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  local?: string | undefined;
  /** Fault spec for the local server (testing and demos). */
  localFaults?: string | undefined;
}

export interface Connection {
  client: DifyClient;
  baseURL: string;
  /** Where the key and URL came from, for error advice ("check --api-key"). */
  sources: SettingSources;
  close(): Promise<void>;
}

export async function connect(
  flags: ConnectionFlags,
  env: Env,
  options: { timeoutMs?: number; maxRetries?: number; warn: (message: string) => void },
): Promise<Connection> {
  // node:http instead of the global fetch: a third of a batch's CPU per row (src/node/http-fetch.ts).
  const clientOptions = { timeout: options.timeoutMs, maxRetries: options.maxRetries ?? 3, fetch: createNodeFetch() };
  if (flags.local !== undefined) {
    // Loaded only here: the server (sandboxes, DSL engine, SQLite) costs memory a remote batch does not need.
    const { DataDirError, DslError, FaultSpecError, startServer } = await import('../../server/index.js');
    let server;
    try {
      const dataDir = localDataDir(flags.local, env);
      server = await startServer({ workflow: flags.local, host: '127.0.0.1', port: 0, faults: flags.localFaults, dataDir });
    } catch (error) {
      if (error instanceof DslError || error instanceof FaultSpecError) throw new OptionError(`--local: ${error.message}`);
      if (error instanceof DataDirError) {
        const busy = / in use /.test(error.message)
          ? ' — another --local command on this workflow is running; let it finish, or share one `difyrun serve --data-dir`'
          : '';
        throw new OptionError(`--local: ${error.message.replace(/^--data-dir /, 'data directory ')}${busy}`);
      }
      throw error;
    }
    const client = new DifyClient({ ...clientOptions, apiKey: server.apiKey, baseURL: server.baseURL });
    return { client, baseURL: server.baseURL, sources: { apiKey: '--local', baseURL: '--local' }, close: () => server.close() };
  }
  if (flags.apiKey !== undefined) {
    options.warn('warning: --api-key is visible to other users of this machine (ps, shell history); prefer DIFY_API_KEY in the environment or .env');
  }
  const apiKey = flags.apiKey ?? env.DIFY_API_KEY;
  if (!apiKey) {
    throw new OptionError('No API key: set DIFY_API_KEY (in the environment or a .env file), or use --local WORKFLOW.yml to run a workflow file locally');
  }
  const baseURL = flags.baseUrl ?? env.DIFY_API_BASE_URL ?? 'https://api.dify.ai/v1';
  const sources = {
    apiKey: flags.apiKey !== undefined ? '--api-key' : source('DIFY_API_KEY', env),
    baseURL: flags.baseUrl !== undefined ? '--base-url' : source('DIFY_API_BASE_URL', env),
  };
  if (!/^https?:\/\//i.test(baseURL)) throw new OptionError(`${sources.baseURL} must start with http:// or https://, got "${baseURL}"`);
  const client = new DifyClient({ ...clientOptions, apiKey, baseURL });
  return { client, baseURL: client.baseURL, sources, close: async () => {} };
}

/** "DIFY_API_KEY", or "DIFY_API_KEY in .env" when only the .env file set it. */
function source(variable: string, env: Env): string {
  return process.env[variable] === undefined && env[variable] !== undefined ? `${variable} in .env` : variable;
}
