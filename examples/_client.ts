/**
 * Shared setup for the examples: a client from DIFY_API_KEY / DIFY_API_BASE_URL.
 * Against the local server: `difyrun serve --workflow examples/workflows/review-triage.yml`
 * prints both values to export.
 */
import { DifyClient, DifyError } from 'difyrun';

// SDK errors print as one line (e.g. "AuthenticationError 401: Access token is invalid"), not a stack.
process.on('uncaughtException', (error) => {
  if (!(error instanceof DifyError)) throw error;
  const status = 'status' in error && error.status !== undefined ? ` ${String(error.status)}` : '';
  console.error(`${error.name}${status}: ${error.message}`);
  process.exit(1);
});

export const dify = new DifyClient();
export const user = process.env['DIFY_USER'] ?? 'difyrun-example';

/** Inputs from argv as key=value pairs, e.g. `review="Great product" rating=5`. */
export function inputsFromArgs(defaults: Record<string, string>): Record<string, string> {
  const inputs = { ...defaults };
  for (const arg of process.argv.slice(2)) {
    const eq = arg.indexOf('=');
    if (eq > 0) inputs[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return inputs;
}
