/** Runs `difyrun batch` in-process (runBatch) or as a child process, against a local server. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DifyClient } from '../../src/client/client.js';
import { BATCH_DEFAULTS, runBatch, type BatchConfig, type BatchResult } from '../../src/batch/index.js';
import type { RunningServer } from '../../src/server/index.js';

// Absolute, so the CLI can run from any working directory (tests use temp dirs).
const TSX = import.meta.resolve('tsx');
const CLI_ENTRY = join(process.cwd(), 'src/cli/main.ts');

export function tempDir(prefix = 'difyrun-batch-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The batch's own defaults, with what makes tests quick: short retries and deadlines, streaming, quiet. */
export function defaultConfig(input: string, output: string, overrides: Partial<BatchConfig> = {}): BatchConfig {
  return {
    ...BATCH_DEFAULTS,
    input,
    output,
    concurrency: 8,
    mode: 'streaming',
    initialRetryDelaySeconds: 0.05,
    maxRetryDelaySeconds: 0.5,
    timeoutSeconds: 20,
    quiet: true,
    streamIdleTimeoutSeconds: 2,
    ...overrides,
  };
}

function sink(): PassThrough & { text(): string } {
  const stream = new PassThrough() as PassThrough & { text(): string; isTTY: boolean };
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.text = () => Buffer.concat(chunks).toString('utf8');
  stream.isTTY = false;
  return stream;
}

export async function batchInProcess(
  server: Pick<RunningServer, 'apiKey' | 'baseURL'>,
  config: BatchConfig,
  signals: { interrupt?: AbortSignal; hardStop?: AbortSignal } = {},
): Promise<BatchResult & { stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const client = new DifyClient({ apiKey: server.apiKey, baseURL: server.baseURL, maxRetries: 3 });
  const result = await runBatch(config, {
    client,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    interrupt: signals.interrupt ?? new AbortController().signal,
    hardStop: signals.hardStop ?? new AbortController().signal,
  });
  return { ...result, stdout: stdout.text(), stderr: stderr.text() };
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * The node arguments that start the CLI: the JavaScript scripts/run-tests.mjs built from src/ once,
 * far cheaper per spawn than tsx; tsx and the source otherwise. By default that is the bundled CLI
 * (DIFYRUN_TEST_CLI, a few chunks); `modules` asks for src/'s own module files, one per source file
 * (DIFYRUN_TEST_CLI_MODULES), for a test of which modules a command loads.
 */
export function cliEntry(options: { modules?: boolean } = {}): string[] {
  const built = options.modules ? process.env.DIFYRUN_TEST_CLI_MODULES : process.env.DIFYRUN_TEST_CLI;
  return built ? [built] : ['--import', TSX, CLI_ENTRY];
}

/** Spawns the CLI from source. `env` replaces DIFY_* variables so the developer's own never leak in. */
export function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env))
    if (key.startsWith('DIFY_') || ['MAX_RETRIES', 'TIMEOUT', 'INITIAL_RETRY_DELAY', 'MAX_RETRY_DELAY'].includes(key)) delete env[key];
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [...cliEntry(), ...args], {
    cwd: options.cwd ?? process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Every line of a JSONL output, parsed (throws on any line JSON.parse rejects). */
export function readOutput(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A review-triage CSV with `count` rows. */
export function reviewsCsv(count: number, start = 0): string {
  const lines = ['id,review,rating,channel'];
  const channels = ['web', 'app', 'email'];
  for (let i = start; i < start + count; i++)
    lines.push(`row${String(i).padStart(5, '0')},"Review ${i}, it was ${i % 3 === 0 ? 'bad' : 'great'}",${(i % 5) + 1},${channels[i % 3]}`);
  return `${lines.join('\n')}\n`;
}

/** Every id of the input once in the output, and every one a success. */
export function assertOneSuccessPerId(path: string, rows: number): void {
  const lines = readOutput(path);
  const ids = new Set(lines.map((line) => line.id));
  assert.equal(ids.size, rows, 'every id is present');
  assert.equal(lines.length, rows, 'one line per id');
  const successes = lines.filter((line) => line.status === 'success').length;
  assert.equal(successes, rows, `all rows succeeded (failed: ${JSON.stringify(lines.find((line) => line.status !== 'success'))})`);
}
