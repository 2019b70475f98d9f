/**
 * Shared setup for the examples: a client from DIFY_API_KEY / DIFY_API_BASE_URL.
 * Against the local server: `difyrun serve --workflow examples/workflows/review-triage.yml`
 * prints both values to export.
 */
import { DifyClient } from 'difyrun';

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
