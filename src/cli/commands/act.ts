/** Commands that change something: `stop`, `upload`, `init`. */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { uploadFromPath } from '../../node.js';
import { fileTypeFor } from '../../batch/prepare/file-inputs.js';
import { inputVariables } from '../../protocol/index.js';
import { OptionError } from '../config/environment.js';
import { printJson, runCommand, withCommonOptions, type CommonFlags } from '../command-kit.js';
import { templateFormatOf, writeTemplate } from './init-template.js';

export function registerAct(program: Command): void {
  const stop = program
    .command('stop')
    .argument('<task-id>', 'task_id of a streaming run (not its workflow_run_id)')
    .description('stop a running streaming run')
    .requiredOption('--user <name>', 'the user the run was started with');
  withCommonOptions(stop).addHelpText(
    'after',
    '\nExample:\n  difyrun stop 5ad4cb98-f0c7-4085-b384-88c403be6290 --user difyrun-cli\n\nDify answers success for any task id, finished or unknown ones too.',
  );
  stop.action((taskId: string, flags: CommonFlags & { user: string }) =>
    runCommand('stop', flags, async ({ client }) => {
      const result = await client.workflows.stop(taskId, flags.user);
      if (flags.json) return void printJson(result);
      process.stdout.write(`Stop requested for task ${taskId}. (Dify confirms every stop; check the run with difyrun status RUN_ID.)\n`);
    }),
  );

  const upload = program
    .command('upload')
    .argument('<path>', 'file to upload')
    .description('upload a file; prints its id and the object to use as a file input')
    .option('--user <name>', 'the user that will use the file (env DIFY_USER, default difyrun-cli)');
  withCommonOptions(upload).addHelpText(
    'after',
    '\nExample:\n  difyrun upload ./report.pdf --user alice\n\nThe file can then be used by the same user as an input:\n  difyrun run --user alice --inputs-json \'{"doc": {"type": "document", "transfer_method": "local_file", "upload_file_id": "<id>"}}\'',
  );
  upload.action((path: string, flags: CommonFlags & { user?: string }) =>
    runCommand('upload', flags, async ({ client }, env) => {
      checkUploadable(path);
      const user = flags.user ?? env.DIFY_USER ?? 'difyrun-cli';
      const file = await uploadFromPath(client, path, { user });
      const input = { type: fileTypeFor(file.name), transfer_method: 'local_file', upload_file_id: file.id };
      if (flags.json) return void printJson({ file, input });
      process.stdout.write(`${file.id}\n`);
      process.stderr.write(`uploaded ${file.name} (${file.size} bytes, ${file.mime_type}) for user "${user}"; use it as a file input:\n`);
      process.stderr.write(`${JSON.stringify(input)}\n`);
    }),
  );

  const init = program
    .command('init')
    .description("write an input template for difyrun batch from the workflow's inputs")
    .option('-o, --output <file>', 'where to write it: .csv, .tsv, .xlsx or .jsonl by its extension (default template.csv, or template.jsonl with --jsonl)')
    .option('--jsonl', 'a JSONL template (typed values) instead of CSV')
    .option('--force', 'overwrite an existing file');
  withCommonOptions(init, { json: false }).addHelpText(
    'after',
    '\nExamples:\n  difyrun init --local examples/workflows/review-triage.yml -o reviews.csv\n  difyrun init -o reviews.xlsx      # a workbook: typed cells, a drop-down for each select input\n  difyrun init --jsonl',
  );
  init.action((flags: CommonFlags & { output?: string; jsonl?: boolean; force?: boolean }) =>
    runCommand('init', flags, async ({ client }) => {
      const output = flags.output ?? (flags.jsonl ? 'template.jsonl' : 'template.csv');
      const format = templateFormatOf(output);
      if (flags.jsonl && format !== 'jsonl')
        throw new OptionError(`--jsonl writes JSONL, but --output ${output} names a ${format.toUpperCase()} file (name it .jsonl, or leave out --jsonl)`);
      if (existsSync(output) && !flags.force) throw new OptionError(`${output} already exists (use --force to overwrite)`);
      const variables = inputVariables(await client.app.parameters());
      await writeTemplate(output, format, variables);
      process.stderr.write(
        `wrote ${output}: id + ${variables.length} input column${variables.length === 1 ? '' : 's'} (${variables.map((v) => `${v.variable}: ${v.type}${v.required ? ', required' : ''}`).join('; ') || 'none'})\n`,
      );
      const local = flags.local === undefined ? '' : ` --local ${shellWord(flags.local)}`;
      process.stderr.write(`fill it in, then: difyrun batch${local} -i ${shellWord(output)} -o results.jsonl\n`);
    }),
  );
}

/** A path upload can send, or a usage error (exit 2) naming what is wrong with it. */
function checkUploadable(path: string): void {
  let kind: string;
  try {
    const stats = statSync(path);
    if (stats.isFile()) return;
    kind = stats.isDirectory() ? 'is a directory, not a file' : 'is not a regular file';
  } catch (error) {
    kind = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read (${(error as NodeJS.ErrnoException).code})`;
  }
  throw new OptionError(`${path}: ${kind}`);
}

/** A path as one shell word, quoted only when it needs to be. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
