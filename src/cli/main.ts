#!/usr/bin/env node
/**
 * The `difyrun` command. Only what must happen before the program loads is here: `--version`
 * answers without loading commander or any command, and batch and worker set V8's heap flags
 * before their first allocations (heap-tuning.ts). The program is in run-program.ts.
 *
 * Imports are dynamic and only where needed: `difyrun --help` peaked at 50 MB instead of 46 MB
 * when version.js and heap-tuning.js were imported statically here (measured with GNU time;
 * the difference is in the node binary's pages touched, not in the heap).
 */
import { quietOnClosedPipe } from './closed-pipe.js';

quietOnClosedPipe();
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { VERSION } = await import('../version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  if (args.includes('batch') || args.includes('worker')) {
    const { heapFlagsFor } = await import('./heap-tuning.js');
    const { setFlagsFromString } = await import('node:v8');
    for (const flag of heapFlagsFor(args)) setFlagsFromString(flag);
  }
  await import('./run-program.js');
}
