/**
 * The `difyrun` program: its commands and how help looks.
 *
 * Command modules are loaded lazily: only the one the arguments name is imported (the batch
 * executor, the local server with its sandboxes and SQLite are big), so `difyrun --version` and
 * `difyrun --help` load none of them. The others appear as light stubs that
 * carry their name and summary for the command list. A new command is one entry in COMMANDS.
 */
import { Command, Help, type Option, type OutputConfiguration } from 'commander';
import { VERSION } from '../version.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { selectedCommand } from './heap-tuning.js';

export { selectedCommand };

type Register = (program: Command) => void;

interface CommandEntry {
  /** The commands the module registers, with their arguments and summary for the command list. */
  commands: { name: string; args?: string; summary: string }[];
  load: () => Promise<Register>;
}

const COMMANDS: CommandEntry[] = [
  {
    commands: [{ name: 'batch', summary: 'run every row of a CSV/JSONL file through the workflow (concurrent, resumable)' }],
    load: async () => (await import('./commands/batch.js')).registerBatch,
  },
  {
    commands: [{ name: 'run', summary: 'run the workflow once; streams text and node progress as they happen' }],
    load: async () => (await import('./commands/run.js')).registerRun,
  },
  {
    commands: [
      { name: 'status', args: '<run-id>', summary: 'show a run: status, inputs, outputs, time and tokens' },
      { name: 'logs', summary: 'list runs, newest first' },
      { name: 'info', summary: "show the app's name, description, mode and author" },
      { name: 'params', summary: "show the workflow's input variables: type, required, options, limits" },
    ],
    load: async () => (await import('./commands/inspect.js')).registerInspect,
  },
  {
    commands: [
      { name: 'stop', args: '<task-id>', summary: 'stop a running streaming run' },
      { name: 'upload', args: '<path>', summary: 'upload a file; prints its id and the object to use as a file input' },
      { name: 'init', summary: "write an input template for difyrun batch from the workflow's inputs" },
    ],
    load: async () => (await import('./commands/act.js')).registerAct,
  },
  {
    commands: [{ name: 'serve', summary: 'run a Dify workflow DSL file locally behind a Dify-compatible Service API' }],
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
  {
    commands: [{ name: 'export', args: '<results>', summary: 'write a results JSONL as a CSV or XLSX table, one row per id' }],
    load: async () => (await import('./commands/export.js')).registerExport,
  },
  {
    commands: [{ name: 'report', args: '<results...>', summary: 'write an HTML report of a results JSONL, or compare two' }],
    load: async () => (await import('./commands/report.js')).registerReport,
  },
  {
    commands: [{ name: 'diff', args: '<a> <b>', summary: 'compare two results JSONL files by id: what changed, what regressed' }],
    load: async () => (await import('./commands/diff.js')).registerDiff,
  },
  {
    commands: [{ name: 'worker', summary: 'execute rows of queued batches from Redis (scale-out across processes and hosts)' }],
    load: async () => (await import('./commands/worker.js')).registerWorker,
  },
];

const PROGRAM_HELP = `
Settings: DIFY_API_KEY and DIFY_API_BASE_URL (environment or ./.env), or --local WORKFLOW.yml to
run a Dify DSL file on difyrun's own server with no account (runs, logs and uploads are kept in
./.difyrun/, which git ignores). \`difyrun help COMMAND\` shows a command's options and examples.

${EXIT_CODES_HELP}`;

/** Commander's help, with defaults as typed on the command line: `(default: 5)`, `(default: 127.0.0.1)`, not `(default: "5")`. */
const HELP: Partial<Help> = {
  optionDescription(this: Help, option: Option): string {
    const value: unknown = option.defaultValue;
    if (typeof value === 'string' && value !== '' && option.defaultValueDescription === undefined) {
      option.defaultValueDescription = value;
    }
    return Help.prototype.optionDescription.call(this, option);
  },
};

/** `output` replaces process.stdout/stderr for help and usage errors (every command inherits it): tests read help in-process. */
export async function buildProgram(argv: readonly string[], output: OutputConfiguration = {}): Promise<Command> {
  const program = new Command()
    .configureOutput(output)
    .name('difyrun')
    .description('Run Dify workflow apps from the command line.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .configureHelp(HELP)
    .exitOverride()
    .addHelpText('after', PROGRAM_HELP);
  const selected = selectedCommand(argv);
  for (const entry of COMMANDS) {
    if (entry.commands.some((command) => command.name === selected)) (await entry.load())(program);
    else for (const { name, args, summary } of entry.commands) program.command(args ? `${name} ${args}` : name).summary(summary);
  }
  return program;
}
