/** A problem with the command line or the input: one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
