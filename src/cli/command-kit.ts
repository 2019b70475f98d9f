/**
 * What every single-operation command shares: the connection flags, one place that turns any
 * error into a one-line message and an exit code, and small output helpers.
 */
import type { Command } from 'commander';
import { describeError } from '../client/describe-error.js';
import { APIError, AuthenticationError, PermissionDeniedError, RateLimitError } from '../client/errors.js';
import { failsEveryRow, InputError, UsageError } from '../batch/index.js';
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
    .option('--local <workflow.yml>', 'use a local server started in-process with this Dify DSL file');
  if (options.json) command.option('--json', 'machine-readable JSON on stdout');
  return command.option('--debug', 'print stack traces');
}

/** Runs a command body with a connection, mapping every failure to a message and exit code. */
export async function runCommand(
  name: string,
  flags: CommonFlags,
  body: (connection: Connection, env: Env) => Promise<number | void>,
): Promise<void> {
  let connection: Connection | undefined;
  try {
    const env = loadEnvironment();
    connection = await connect(flags, env, { warn: (message) => process.stderr.write(`${message}\n`) });
    process.exitCode = (await body(connection, env)) ?? EXIT.ok;
  } catch (error) {
    process.stderr.write(`difyrun ${name}: ${describeError(error, connection?.baseURL ?? flags.baseUrl ?? 'the server')}\n`);
    if (flags.debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCodeFor(error);
  } finally {
    await connection?.close();
  }
}

/** The documented exit code for an error: 2 usage/input, 3 auth/app/quota, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof OptionError || error instanceof InputError || error instanceof UsageError) return EXIT.usage;
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return EXIT.auth;
  if (error instanceof RateLimitError && error.isQuotaExhausted) return EXIT.auth;
  if (error instanceof APIError && failsEveryRow(error)) return EXIT.auth;
  return EXIT.failed;
}

/** Whether to use colour: a TTY and no NO_COLOR. */
export function colour(stream: NodeJS.WriteStream): { dim(text: string): string; bold(text: string): string; red(text: string): string; green(text: string): string } {
  const on = Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const wrap = (code: string) => (text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { dim: wrap('2'), bold: wrap('1'), red: wrap('31'), green: wrap('32') };
}

/** Formats rows as an aligned plain-text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function unixTime(seconds: number | null | undefined): string {
  return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}
