/** `difyrun worker`: runs queued batch rows from Redis on this host (README "Scale-out"). */
import type { Command } from 'commander';
import { EXIT } from '../../exit-codes.js';
import { KeyRing } from '../../queue/app-keys.js';
import { connectQueue, parseQueueUrl, QueueConnectionError } from '../../queue/connection.js';
import { LeftWithoutRedisError, runWorker } from '../../queue/worker/run-worker.js';
import { exitCodeFor } from '../command-kit.js';
import { loadEnvironment, numberOption, OptionError } from '../config/environment.js';
import { watchInterrupts } from '../interrupts.js';

interface WorkerFlags {
  queue?: string;
  concurrency?: string;
  lease?: string;
  quiet?: boolean;
  debug?: boolean;
}

export const WORKER_HELP = `
Runs the rows of batches submitted with \`difyrun batch --queue URL\`, for every app whose API
key this host holds. Start as many workers as you like, on any hosts that reach Redis and Dify.

Keys come from this host's environment (or ./.env) and never go to Redis:
  DIFY_API_KEY=app-…                  one app
  DIFY_API_KEYS=app-…,app-…           more apps (comma- or space-separated; both may be set)
A worker without an app's key leaves that app's rows to other workers.

Limits are the batch's, shared by every worker: --concurrency and --rpm of \`difyrun batch\`
cap the app across all workers; -c here caps this process.

Ctrl-C: take no more rows and finish those in flight; Ctrl-C again: leave now (another worker
takes the rows over after --lease and recovers their runs instead of running them again).
If Redis does not answer for 3 s while the worker stops, it leaves without it (exit 1): its
rows in flight wait in Redis and are recovered by another worker once Redis is back.

Examples:
  DIFY_API_KEY=app-… difyrun worker --queue redis://10.0.0.5:6379/0 -c 32`;

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run queued batch rows from Redis (scale-out across processes and hosts)')
    .option('--queue <redis-url>', 'Redis holding the queue: redis://HOST:PORT/DB')
    .option('-c, --concurrency <n>', 'rows this process runs at once, per app', '32')
    .option('--lease <seconds>', "how long a killed worker's rows wait before another worker takes them over", '30')
    .option('--quiet', 'only problems on stderr')
    .option('--debug', 'print stack traces')
    .addHelpText('after', WORKER_HELP)
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCommand(flags);
    });
}

/** `--queue` checked as an option: a bad URL is a usage error (exit 2). */
export function queueUrlOption(text: string | undefined): string {
  if (text === undefined) throw new OptionError('missing --queue redis://HOST:PORT/DB');
  try {
    parseQueueUrl(text);
  } catch (error) {
    if (error instanceof QueueConnectionError) throw new OptionError(error.message);
    throw error;
  }
  return text;
}

async function workerCommand(flags: WorkerFlags): Promise<number> {
  try {
    const url = queueUrlOption(flags.queue);
    const concurrency = numberOption(flags.concurrency, '--concurrency', 32, { min: 1, integer: true });
    const leaseSeconds = numberOption(flags.lease, '--lease', 30, { min: 1 });
    const keyRing = KeyRing.fromEnv(loadEnvironment());
    if (keyRing.size === 0) throw new OptionError('No API key: set DIFY_API_KEY (and DIFY_API_KEYS=k1,k2 for more apps) in the environment or a .env file');
    const connection = await connectQueue(url);
    const interrupt = new AbortController();
    const hardStop = new AbortController();
    const log = (message: string) => process.stderr.write(`difyrun worker: ${message}\n`);
    const signals = watchInterrupts(
      () => interrupt.abort(),
      () => {
        hardStop.abort();
        log('leaving now; rows in flight are taken over by other workers');
      },
    );
    try {
      if (!flags.quiet)
        log(`connected to ${connection.displayUrl}; keys: ${keyRing.fingerprints.join(', ')} (fingerprints); waiting for rows (Ctrl-C to stop)`);
      await runWorker(
        connection,
        keyRing,
        { concurrency, leaseMs: leaseSeconds * 1000, quiet: flags.quiet ?? false },
        { log, interrupt: interrupt.signal, hardStop: hardStop.signal },
      );
      return EXIT.ok;
    } finally {
      signals.dispose();
      await connection.close();
    }
  } catch (error) {
    process.stderr.write(`difyrun worker: ${error instanceof Error ? error.message : String(error)}\n`);
    if (flags.debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    // BullMQ's own connections would go on retrying the absent Redis for a while: leave now.
    if (error instanceof LeftWithoutRedisError) process.exit(EXIT.failed);
    return error instanceof QueueConnectionError ? EXIT.failed : exitCodeFor(error);
  }
}
