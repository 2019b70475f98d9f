/** The `difyrun` command (after main.ts): builds the program (src/cli/program.ts) and maps failures to exit codes. */
import { CommanderError } from 'commander';
import { EXIT } from '../exit-codes.js';
import { buildProgram } from './program.js';

try {
  const program = await buildProgram(process.argv.slice(2));
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
