/** What the offline results commands (export, report, diff) share: error handling and notes. */
import type { ResultSet } from '../../results/result-set.js';
import { exitCodeFor } from '../command-kit.js';

/** Runs a results command body; any failure is one line on stderr and the documented exit code. */
export async function runResultsCommand(name: string, flags: { debug?: boolean }, body: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path;
    // File system errors name the file and what went wrong, not a stack. Only outputs are
    // written (through a temporary file next to them); any other path was being read.
    const temp = path === undefined ? null : /^(.*)\.tmp-\d+(?:-rows)?$/.exec(path);
    const fsMessage = temp ? `cannot write ${temp[1]} (${code})` : `cannot read ${path} (${code})`;
    const message = code && path ? fsMessage : error instanceof Error ? error.message : String(error);
    process.stderr.write(`difyrun ${name}: ${message}\n`);
    if (flags.debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

/** Warns about lines of a results file that are not records. */
export function warnBadLines(set: Pick<ResultSet, 'file' | 'badLines'>): void {
  if (set.badLines.length === 0) return;
  const count = set.badLines.length;
  process.stderr.write(
    `warning: ${set.file}: ${count} line${count === 1 ? ' is' : 's are'} not a result record and ${count === 1 ? 'was' : 'were'} skipped (first: line ${set.badLines[0]})\n`,
  );
}

export function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}
