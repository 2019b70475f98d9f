/**
 * What every single-operation command shares: the connection flags, one place that turns any
 * error into a one-line message and an exit code, and small output helpers.
 */
import type { Command } from 'commander';
import { describeError, isNoSuchRoute } from '../client/describe-error.js';
import {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  DifyStreamError,
  InvalidRunIdError,
  PermissionDeniedError,
  RateLimitError,
  StreamEndedError,
} from '../client/errors.js';
import { InputError } from '../batch/input/input-error.js';
import { classify } from '../batch/execute/classify.js';
import { connect, type Connection, type ConnectionFlags } from './config/connect.js';
import { loadEnvironment, OptionError, type Env } from './config/environment.js';
import { EXIT } from '../exit-codes.js';

export interface CommonFlags extends ConnectionFlags {
  json?: boolean;
  debug?: boolean;
}

/** Adds --base-url, --api-key, --local, --json, --debug to a command. */
export function withCommonOptions(command: Command, options: { json?: boolean } = { json: true }): Command {
  command
    .option('--base-url <url>', 'Dify API base URL (env DIFY_API_BASE_URL)')
    .option('--api-key <key>', 'API key (prefer env DIFY_API_KEY: flags are visible to other processes)')
    .option('--local <workflow.yml>', 'use a local server started in-process with this Dify DSL file (keeps runs, logs, uploads in ./.difyrun/)');
  if (options.json) command.option('--json', 'machine-readable JSON on stdout');
  return command.option('--debug', 'print stack traces');
}

/** Runs a command body with a connection, mapping every failure to a message and exit code. */
export async function runCommand(name: string, flags: CommonFlags, body: (connection: Connection, env: Env) => Promise<number | void>): Promise<void> {
  let connection: Connection | undefined;
  try {
    const env = loadEnvironment();
    connection = await connect(flags, env, { warn: (message) => process.stderr.write(`${message}\n`) });
    process.exitCode = (await body(connection, env)) ?? EXIT.ok;
  } catch (error) {
    reportFailure(name, error, flags, connection);
  } finally {
    await connection?.close();
  }
}

/** Prints one line for a failed command (a stack trace with --debug) and sets its exit code. */
export function reportFailure(
  name: string,
  error: unknown,
  flags: { debug?: boolean | undefined; baseUrl?: string | undefined },
  connection?: Pick<Connection, 'baseURL' | 'sources'>,
): void {
  process.stderr.write(`difyrun ${name}: ${describeError(error, connection?.baseURL ?? flags.baseUrl ?? 'the server', connection?.sources)}\n`);
  if (flags.debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = exitCodeFor(error);
}

/**
 * The documented exit code (src/exit-codes.ts) for an error; every command maps through this.
 * 2: the request or an option was bad (also a Dify 4xx naming the input, or an id it does not
 * know); 3: auth, app or quota; 4: the server could not be reached or used (connection,
 * timeout, a URL with no Dify API behind it, 5xx, busy, a stream that broke); 1: the run failed.
 */
export function exitCodeFor(error: unknown): number {
  // UsageError (src/batch/run-batch.ts) is matched by name: importing the batch executor here
  // would load it into every command (0.3 s of start-up for `difyrun status`).
  if (error instanceof OptionError || error instanceof InputError || (error instanceof Error && error.name === 'UsageError')) return EXIT.usage;
  // A malformed run id is the user's input, caught before any request (real Dify would answer 500).
  if (error instanceof InvalidRunIdError) return EXIT.usage;
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return EXIT.auth;
  if (error instanceof RateLimitError && error.isQuotaExhausted) return EXIT.auth;
  if (error instanceof APIUserAbortError) return EXIT.interrupted;
  if (error instanceof DifyStreamError) return classify(error).kind === 'overloaded' ? EXIT.server : EXIT.failed;
  if (error instanceof StreamEndedError || error instanceof APIConnectionError) return EXIT.server;
  if (error instanceof APIError) {
    const verdict = classify(error).kind;
    if (verdict === 'fatal') return EXIT.auth;
    if (verdict === 'overloaded' || error.status >= 500 || error.code === undefined || isNoSuchRoute(error)) return EXIT.server;
    return EXIT.usage;
  }
  return EXIT.failed;
}

/** Whether to use colour: a TTY and no NO_COLOR. */
export function colour(stream: NodeJS.WriteStream): {
  dim(text: string): string;
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
} {
  const on = Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const wrap = (code: string) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { dim: wrap('2'), bold: wrap('1'), red: wrap('31'), green: wrap('32') };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function unixTime(seconds: number | null | undefined): string {
  return seconds
    ? new Date(seconds * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}
