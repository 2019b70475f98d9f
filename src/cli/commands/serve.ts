/** `difyrun serve`: the local Dify-compatible server in the foreground. */
import type { Command } from 'commander';
import { DataDirError, DslError, FaultSpecError, LOCAL_API_KEY, LOCAL_DEFAULT_PORT, startServer } from '../../server/index.js';
import { EXIT } from '../../exit-codes.js';
import { OptionError } from '../config/environment.js';
import { reportFailure } from '../command-kit.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a Dify workflow DSL file locally behind a Dify-compatible Service API')
    .requiredOption('--workflow <file.yml>', 'Dify app export (DSL) to serve')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', "port (0 picks a free one; not 5001, self-hosted Dify's API port)", String(LOCAL_DEFAULT_PORT))
    .option('--api-key <key>', `API key clients must send (default ${LOCAL_API_KEY})`)
    .option('--faults <json|file>', 'fault injection spec (see README "Fault injection")')
    .option('--llm-rate <tokens/s>', 'tokens per second streamed by the local LLM stand-in', '100')
    .option('--ping-interval <seconds>', 'heartbeat interval of streams', '10')
    .option('--data-dir <dir>', 'keep runs, logs and uploads here (SQLite + files) so they survive a restart; default: in memory')
    .option('--no-flaws', "don't reproduce Dify 1.13.2's flaws (silent rejected streams, unrecorded stops, 500s, HTML 404); see README")
    .addHelpText(
      'after',
      `
Examples:
  difyrun serve --workflow examples/workflows/review-triage.yml
  difyrun serve --workflow app.yml --data-dir .difyrun-data
  difyrun serve --workflow app.yml --no-flaws        # plain errors instead of Dify's flaws, for DSL development
  difyrun serve --workflow app.yml --port 0 --faults '{"seed":7,"rate429":0.1,"latencyMs":{"min":100,"max":400}}'

Exit codes: 0 stopped with Ctrl-C, 2 bad workflow file or option.`,
    )
    .option('--debug', 'print stack traces')
    .action(async (options: ServeOptions) => {
      let server;
      try {
        server = await start(options);
      } catch (error) {
        return reportFailure('serve', error, options);
      }
      const nodes = [...server.app.nodes.values()];
      process.stdout.write(
        `difyrun serve: "${server.app.name}" (${nodes.length} nodes) is listening\n` +
          `  DIFY_API_BASE_URL=${server.baseURL}\n` +
          `  DIFY_API_KEY=${options.apiKey ? '(the key you passed with --api-key)' : server.apiKey}\n` +
          (options.faults ? `  fault injection: ${options.faults}\n` : '') +
          (options.dataDir ? `  runs, logs and uploads kept in ${options.dataDir}\n` : '') +
          (options.flaws ? '' : `  Dify's flaws turned off (--no-flaws): rejected streams and 404s answer with plain errors\n`) +
          `Press Ctrl-C to stop.\n`,
      );
      const stop = async () => {
        process.stderr.write(`\nstopping (${server.executedRuns} runs executed)\n`);
        await server.close();
        process.exit(EXIT.ok);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

interface ServeOptions {
  workflow: string;
  host: string;
  port: string;
  apiKey?: string;
  faults?: string;
  llmRate: string;
  pingInterval: string;
  dataDir?: string;
  flaws: boolean;
  debug?: boolean;
}

/** Starts the server; a bad option, workflow file, data dir or a taken port is an OptionError (exit 2). */
async function start(options: ServeOptions) {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionError(`--port must be a number from 0 to 65535, got "${options.port}"`);
  const rate = Number(options.llmRate);
  if (!Number.isFinite(rate) || rate < 0) throw new OptionError(`--llm-rate must be a number ≥ 0, got "${options.llmRate}"`);
  const ping = Number(options.pingInterval);
  if (!Number.isFinite(ping) || ping < 0) throw new OptionError(`--ping-interval must be a number of seconds ≥ 0, got "${options.pingInterval}"`);
  try {
    return await startServer({
      workflow: options.workflow,
      host: options.host,
      port,
      apiKey: options.apiKey,
      faults: options.faults,
      llm: { tokensPerSecond: rate },
      pingIntervalMs: ping * 1000,
      dataDir: options.dataDir,
      flaws: options.flaws,
    });
  } catch (error) {
    if (error instanceof DslError || error instanceof FaultSpecError || error instanceof DataDirError) throw new OptionError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new OptionError(`port ${port} on ${options.host} is already in use (try --port 0)`);
    throw error;
  }
}
