/** `difyrun run`: one workflow run from the terminal, streamed as it happens. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DifyClient } from '../../client/client.js';
import type { WorkflowRunResult } from '../../client/workflow-stream.js';
import { FileUploader, RowPreparer } from '../../batch/index.js';
import { inputVariables, type InputVariable, type WorkflowInputs } from '../../protocol/index.js';
import { OptionError } from '../config/environment.js';
import { watchInterrupts } from '../interrupts.js';
import { EXIT } from '../../exit-codes.js';
import { colour, runCommand, withCommonOptions, type CommonFlags } from '../command-kit.js';

interface RunFlags extends CommonFlags {
  input?: string[];
  inputsJson?: string;
  file?: string[];
  user?: string;
  blocking?: boolean;
  workflowId?: string;
}

// No default list: commander would print it in the help as `(default: [])`.
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('run the workflow once; streams text and node progress as they happen')
    .option('--input <key=value>', "an input value, converted by the workflow's declared type (repeatable)", collect)
    .option('--inputs-json <json|@file>', 'all inputs as a JSON object (typed values)')
    .option('--file <var=path|url>', 'a file input: a local path (uploaded) or an http(s) URL (repeatable)', collect)
    .option('--user <name>', 'end-user id sent to Dify (env DIFY_USER, default difyrun-cli)')
    .option('--blocking', 'wait for the whole result instead of streaming (cut at ~100 s on Dify Cloud)')
    .option('--workflow-id <id>', 'run this published workflow version (env DIFY_WORKFLOW_ID)');
  withCommonOptions(command).addHelpText(
    'after',
    `
Examples:
  difyrun run --local examples/workflows/review-triage.yml --input review="Great, fast delivery" --input rating=5
  difyrun run --inputs-json '{"text": "Bonjour", "target_language": "English"}' --json | jq .event
  difyrun run --input question="Summarise this" --file document=./report.pdf

Ctrl-C stops the run on the server (stop API) before exiting with 130.
Exit codes: 0 succeeded · 1 the run failed or was stopped · 2 bad input or option · 3 auth/app error ·
4 could not reach or use the server · 130 interrupted.`,
  );
  command.action((flags: RunFlags) =>
    runCommand('run', flags, async ({ client }, env) => {
      const user = flags.user ?? env.DIFY_USER ?? 'difyrun-cli';
      const workflowId = flags.workflowId ?? (env.DIFY_WORKFLOW_ID || undefined);
      const inputs = await buildInputs(client, flags, user);
      if (flags.blocking) return runBlocking(client, { inputs, user, workflowId }, flags.json ?? false);
      return runStreaming(client, { inputs, user, workflowId }, flags.json ?? false);
    }),
  );
}

/** Inputs from --inputs-json, --input and --file, converted and checked against /parameters like a batch row. */
async function buildInputs(client: DifyClient, flags: RunFlags, user: string): Promise<WorkflowInputs> {
  const values: Record<string, unknown> = {};
  if (flags.inputsJson !== undefined) Object.assign(values, parseInputsJson(flags.inputsJson));
  for (const pair of flags.input ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new OptionError(`--input "${pair}": expected key=value`);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const variables = inputVariables(await client.app.parameters({ user }));
  for (const pair of flags.file ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new OptionError(`--file "${pair}": expected var=path or var=https://…`);
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const listed = variables.find((variable) => variable.variable === name)?.type === 'file-list';
    values[name] = listed ? [...((values[name] as string[] | undefined) ?? []), value] : value;
  }
  const preparer = new RowPreparer(variables, process.cwd());
  const unknown = preparer.undeclared({ kind: 'row', id: 'cli', line: 0, values });
  if (unknown.length > 0) throw new OptionError(`unknown input ${unknown.map((name) => `"${name}"`).join(', ')}. ${describeVariables(variables)}`);
  const prepared = preparer.prepare({ kind: 'row', id: 'cli', line: 0, values });
  if (!prepared.ok) throw new OptionError(`${prepared.message}. ${describeVariables(variables)}`);
  return preparer.resolveFiles(prepared.inputs, new FileUploader(client, user));
}

function parseInputsJson(text: string): Record<string, unknown> {
  let source = text;
  if (text.startsWith('@')) {
    try {
      source = readFileSync(text.slice(1), 'utf8');
    } catch (error) {
      throw new OptionError(`--inputs-json ${text}: cannot read the file (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    throw new OptionError(`--inputs-json: not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new OptionError('--inputs-json: expected a JSON object of input values');
  return parsed as Record<string, unknown>;
}

/** "This workflow's inputs: review (paragraph, required), rating (number, required), channel (select: web|app|email)". */
export function describeVariables(variables: readonly InputVariable[]): string {
  if (variables.length === 0) return 'This workflow has no inputs.';
  const parts = variables.map((variable) => {
    const detail = variable.type === 'select' && variable.options?.length ? `select: ${variable.options.join('|')}` : variable.type;
    return `${variable.variable} (${detail}${variable.required ? ', required' : ''})`;
  });
  return `This workflow's inputs: ${parts.join(', ')}`;
}

interface RunParams {
  inputs: WorkflowInputs;
  user: string;
  workflowId: string | undefined;
}

async function runBlocking(client: DifyClient, params: RunParams, json: boolean): Promise<number> {
  const result = await client.workflows.run(params);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else printResult(result, '');
  return exitFor(result);
}

async function runStreaming(client: DifyClient, params: RunParams, json: boolean): Promise<number> {
  const c = colour(process.stderr);
  const stream = client.workflows.stream(params);
  let interrupted = false;
  const watcher = watchInterrupts(() => {
    interrupted = true;
    process.stderr.write('\nStopping the run on the server (Ctrl-C again to quit now)…\n');
    stream.stop().catch(() => stream.abort());
  });
  // Typewriter text only on a terminal; a pipe gets the final outputs alone.
  const live = Boolean(process.stdout.isTTY);
  let streamed = '';
  let lineOpen = false;
  try {
    for await (const event of stream) {
      if (json) {
        process.stdout.write(`${JSON.stringify(event)}\n`);
        continue;
      }
      if (event.event === 'text_chunk') {
        streamed += event.data.text;
        if (live) {
          process.stdout.write(event.data.text);
          lineOpen = !event.data.text.endsWith('\n');
        }
      } else if (event.event === 'node_finished') {
        if (lineOpen) process.stdout.write('\n');
        lineOpen = false;
        const ok = event.data.status === 'succeeded';
        const mark = ok ? c.green('✓') : c.red('✗');
        const error = event.data.error ? `: ${event.data.error}` : '';
        process.stderr.write(`${mark} ${event.data.title} ${c.dim(`${event.data.status}, ${event.data.elapsed_time.toFixed(2)} s`)}${error}\n`);
      }
    }
    const result = await stream.finalResult();
    if (lineOpen) process.stdout.write('\n');
    if (!json) printResult(result, live ? streamed : '');
    return interrupted ? EXIT.interrupted : exitFor(result);
  } finally {
    watcher.dispose();
  }
}

/**
 * The outputs on stdout, each shown once, and a status line on stderr. On a terminal that
 * already showed streamed text (Dify streams the End node's outputs as text_chunk), only the
 * outputs the stream did not show are added, labelled. Otherwise: a single text output as plain
 * text, several as JSON.
 */
function printResult(result: WorkflowRunResult, alreadyShown: string): void {
  const c = colour(process.stderr);
  const data = result.data;
  const outputs = data.outputs ?? {};
  const values = Object.values(outputs);
  const single = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
  if (alreadyShown.trim() !== '') {
    for (const [key, value] of Object.entries(outputs)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (!alreadyShown.includes(text)) process.stdout.write(`${key}: ${text}\n`);
    }
  } else if (single !== undefined) {
    process.stdout.write(`${single}\n`);
  } else if (values.length > 0) {
    process.stdout.write(`${JSON.stringify(outputs, null, 2)}\n`);
  }
  const status = data.status === 'succeeded' ? c.green(data.status) : c.red(data.status);
  const error = data.error ? ` — ${data.error}` : '';
  process.stderr.write(
    `${status} in ${data.elapsed_time.toFixed(2)} s · ${data.total_tokens} tokens · ${data.total_steps} steps · run ${result.workflow_run_id}${error}\n`,
  );
}

function exitFor(result: WorkflowRunResult): number {
  return result.data.status === 'succeeded' || result.data.status === 'partial-succeeded' ? EXIT.ok : EXIT.failed;
}
