/**
 * A full garbage collection now, when the process allows one. `difyrun batch` sets
 * `--expose-gc` at start-up (cli/heap-tuning.ts); a flag set at run time gives gc() to contexts
 * made afterwards, not to the main one, hence the new context. Elsewhere (the batch executor
 * used as a library, tests) it does nothing.
 */
import { runInNewContext } from 'node:vm';

export function collectGarbage(): void {
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  gc?.();
}
