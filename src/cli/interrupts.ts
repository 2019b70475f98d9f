/**
 * Ctrl-C (and SIGTERM) for long-running commands: the first one asks for a graceful stop
 * (`onFirst`: stop runs on the server, finish writing), the second one exits at once with 130.
 */
import { EXIT } from '../exit-codes.js';

export function watchInterrupts(onFirst: () => void, onSecond: () => void = () => {}): { dispose(): void } {
  let interrupted = false;
  const onSignal = () => {
    if (!interrupted) {
      interrupted = true;
      onFirst();
      return;
    }
    onSecond();
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
