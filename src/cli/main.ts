#!/usr/bin/env node
/**
 * The `difyrun` command. Only what must happen before the program loads is here: `--version`
 * answers without loading anything (the start-up target is Node's own time), and the long
 * commands tune V8's heap before their first allocations (heap-tuning.ts). Everything else is
 * in run-program.ts, imported after that.
 */
import { VERSION } from '../version.js';
import { quietOnClosedPipe } from './closed-pipe.js';
import { tuneHeapFor } from './heap-tuning.js';

quietOnClosedPipe();
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  tuneHeapFor(args);
  await import('./run-program.js');
}
