/**
 * `difyrun batch` (and `worker`) are I/O-bound and may run for hours over millions of rows.
 * Their live heap stays at ~15 MB, but V8's defaults let garbage pile up far beyond it:
 * - old space may grow to up to 4× its live size between full GCs, when the mutator is rarely
 *   paused: ~45 MB of promoted garbage at the peak. `--heap-growing-percent=100` caps that at 2×
 *   (~40 MB less for ~5% more CPU; BENCHMARKS.md, notes on issue 17).
 * `--semi-space-growth-factor=1` (young generation kept at its initial size) saved ~18 MB more
 * at 200,000 rows but cost ~15% of the batch's throughput at 256 rows/s (scavenges all the
 * time): measured (BENCHMARKS.md), not taken.
 * `--expose-gc`: the pre-flight collects its scan's garbage (the id table: ~20 MB for a million
 * rows) as soon as the scan ends, rather than carry it until old space grows (batch/preflight.ts).
 * The flag takes effect when set at run time only if set before the heap has grown: main.ts sets
 * them before it loads anything else. (--optimize-for-size would save more but cost a third of
 * the client's throughput: measured, not taken.)
 */
/** The commands that run long enough, over enough rows, for the heap's growth to matter. */
const LONG_RUNNING = new Set(['batch', 'worker']);

/** `difyrun [options] NAME …` or `difyrun help NAME`: the command's name, if any. */
export function selectedCommand(argv: readonly string[]): string | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** The V8 flags for the command the arguments name: none for help, short commands and the server. */
export function heapFlagsFor(argv: readonly string[]): string[] {
  const command = selectedCommand(argv);
  const asksForHelp = argv.find((arg) => !arg.startsWith('-')) === 'help' || argv.includes('--help') || argv.includes('-h');
  return command !== undefined && LONG_RUNNING.has(command) && !asksForHelp ? ['--heap-growing-percent=100', '--expose-gc'] : [];
}
