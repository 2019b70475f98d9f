/**
 * `difyrun run --json | head -1`: once the reader has gone, the next write fails with EPIPE.
 * That is the reader's choice, not an error: leave quietly (exit 0) instead of dying with a
 * stack trace. Outcome files are written whole, so nothing is torn by leaving here.
 */
import { EXIT } from '../exit-codes.js';

export function quietOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(EXIT.ok);
    });
  }
}
