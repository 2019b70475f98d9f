#!/usr/bin/env node
/** The `difyrun` command: parses arguments and hands each command to its module. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAct } from './commands/act.js';
import { registerBatch } from './commands/batch.js';
import { registerInspect } from './commands/inspect.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { EXIT } from '../exit-codes.js';

const program = new Command()
  .name('difyrun')
  .description('Run Dify workflow apps from the command line.')
  .version(VERSION)
  .showSuggestionAfterError(true)
  .exitOverride();

registerBatch(program);
registerRun(program);
registerInspect(program);
registerAct(program);
registerServe(program);
registerWorker(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed the message (with a suggestion for typos).
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  process.stderr.write(`difyrun: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.argv.includes('--debug') && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(EXIT.failed);
}
