/**
 * Progress while a batch runs: a live line on a TTY (cli-progress) that fits the terminal's
 * width, a log line every few seconds otherwise, nothing with --quiet. Messages go through
 * `log()` so they never interleave with the bar.
 *
 * Counts are of the whole input file (a resumed run starts at the rows already done), and the
 * ETA is shown only once this run's own pace is known: measured from the first outcome, not
 * from the start, so the first rows' latency does not read as a slow rate.
 */
import type { MultiBar, SingleBar } from 'cli-progress';
import { createRequire } from 'node:module';
import type { BatchStats } from './summary.js';

export interface ProgressStart {
  /** Rows in the input file. */
  total: number;
  /** Rows already done before this run (succeeded earlier, or left out by --retry). */
  done: number;
  inFlight: () => number;
}

export interface Progress {
  start(start: ProgressStart): void;
  update(): void;
  log(message: string): void;
  stop(): void;
}

export function createProgress(stats: BatchStats, options: { quiet: boolean; stream: NodeJS.WriteStream; intervalMs?: number }): Progress {
  if (options.quiet) return { start() {}, update() {}, log: (message) => options.stream.write(`${message}\n`), stop() {} };
  if (options.stream.isTTY) return new BarProgress(stats, options.stream);
  return new LineProgress(stats, options.stream, options.intervalMs ?? 5000);
}

/** Outcomes before an ETA is shown, and how long after the first one. */
const ETA_AFTER_ROWS = 5;
const ETA_AFTER_MS = 2000;

/** The numbers a progress line shows, at one moment. */
export interface ProgressView {
  done: number;
  total: number;
  percent: number;
  inFlight: number;
  failed: number;
  /** Rows per second over this run's outcomes (undefined until there are any). */
  rate: number | undefined;
  elapsedMs: number;
  /** Undefined until this run's pace is known. */
  etaMs: number | undefined;
}

export function progressView(stats: BatchStats, start: ProgressStart, now = Date.now()): ProgressView {
  const done = start.done + stats.done;
  const total = Math.max(start.total, done);
  const sinceFirst = stats.firstOutcomeAt === undefined ? 0 : now - stats.firstOutcomeAt;
  // The first outcome only ends the first latency; the pace is what follows it.
  const rate = stats.done > 1 && sinceFirst > 0 ? ((stats.done - 1) * 1000) / sinceFirst : undefined;
  const paceKnown = rate !== undefined && stats.done >= ETA_AFTER_ROWS && sinceFirst >= ETA_AFTER_MS;
  return {
    done,
    total,
    percent: total === 0 ? 100 : Math.floor((done / total) * 100),
    inFlight: start.inFlight(),
    failed: stats.failed,
    rate,
    elapsedMs: now - stats.startedAt,
    etaMs: done >= total ? 0 : paceKnown ? ((total - done) / rate) * 1000 : undefined,
  };
}

/** The progress line's fields, most important first; `width` drops fields from the end to fit. */
export function progressFields(view: ProgressView): string[] {
  return [
    `${view.percent}% ${view.done}/${view.total}`,
    `${view.inFlight} in flight`,
    `elapsed ${duration(view.elapsedMs)}`,
    `ETA ${view.etaMs === undefined ? '…' : duration(view.etaMs)}`,
    `${view.rate === undefined ? '-' : view.rate.toFixed(1)} rows/s`,
    `failed ${view.failed}`,
  ];
}

/** A bar plus as many fields as fit in a terminal `width` columns wide (the last column stays free, so nothing wraps). */
export function progressLine(view: ProgressView, columns: number): string {
  const width = columns - 1;
  const fields = progressFields(view);
  let text = fields.join(' | ');
  while (fields.length > 1 && text.length + 12 > width) {
    fields.pop();
    text = fields.join(' | ');
  }
  const barWidth = Math.min(30, width - text.length - 3);
  if (barWidth < 5) return text.slice(0, Math.max(1, width));
  const filled = Math.round((barWidth * view.percent) / 100);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${text}`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

class BarProgress implements Progress {
  readonly #bars: MultiBar;
  #bar: SingleBar | undefined;
  #start: ProgressStart | undefined;

  constructor(
    private readonly stats: BatchStats,
    private readonly stream: NodeJS.WriteStream,
  ) {
    // Loaded only for a terminal: a piped or logged batch never draws a bar (5% of a dry run's start-up).
    const { MultiBar: Bars } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
    this.#bars = new Bars({
      stream,
      // The whole line is ours, sized to the terminal at each redraw (it may be resized).
      format: () => (this.#start ? progressLine(progressView(this.stats, this.#start), this.stream.columns || 80) : ''),
      hideCursor: true,
      clearOnComplete: false,
      // The bar already fits the terminal. Leave line wrapping on (cli-progress would turn it off
      // for the whole run): messages printed meanwhile (a mode change, Ctrl-C) must wrap, not be
      // cut at the right edge of a narrow terminal.
      linewrap: true,
      fps: 5,
      noTTYOutput: false,
    });
  }

  start(start: ProgressStart): void {
    this.#start = start;
    this.#bar = this.#bars.create(start.total, start.done);
  }

  update(): void {
    if (this.#start) this.#bar?.update(this.#start.done + this.stats.done);
  }

  log(message: string): void {
    this.#bars.log(`${message}\n`);
  }

  stop(): void {
    this.update();
    this.#bars.stop();
  }
}

class LineProgress implements Progress {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stats: BatchStats,
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs: number,
  ) {}

  start(start: ProgressStart): void {
    this.#timer = setInterval(() => this.stream.write(`progress: ${progressFields(progressView(this.stats, start)).join(', ')}\n`), this.intervalMs);
    this.#timer.unref();
  }

  update(): void {}

  log(message: string): void {
    this.stream.write(`${message}\n`);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
