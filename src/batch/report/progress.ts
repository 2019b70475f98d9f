/**
 * Progress while a batch runs: a live bar on a TTY (cli-progress), a log line every few
 * seconds otherwise, nothing with --quiet. Messages go through `log()` so they never
 * interleave with the bar.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { BatchStats } from './summary.js';

export interface Progress {
  start(total: number): void;
  update(): void;
  log(message: string): void;
  stop(): void;
}

export function createProgress(stats: BatchStats, options: { quiet: boolean; stream: NodeJS.WriteStream; intervalMs?: number }): Progress {
  if (options.quiet) return { start() {}, update() {}, log: (message) => options.stream.write(`${message}\n`), stop() {} };
  if (options.stream.isTTY) return new BarProgress(stats, options.stream);
  return new LineProgress(stats, options.stream, options.intervalMs ?? 5000);
}

function rate(stats: BatchStats): number {
  const seconds = (Date.now() - stats.startedAt) / 1000;
  return seconds > 0 ? stats.done / seconds : 0;
}

function eta(stats: BatchStats, total: number): string {
  const perSecond = rate(stats);
  if (perSecond === 0) return '--';
  const left = Math.max(0, total - stats.done) / perSecond;
  if (left >= 3600) return `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}m`;
  if (left >= 60) return `${Math.floor(left / 60)}m${String(Math.floor(left % 60)).padStart(2, '0')}s`;
  return `${Math.ceil(left)}s`;
}

class BarProgress implements Progress {
  #bars: MultiBar;
  #bar: SingleBar | undefined;
  #total = 0;
  constructor(
    private readonly stats: BatchStats,
    stream: NodeJS.WriteStream,
  ) {
    this.#bars = new MultiBar(
      {
        stream,
        format: '{bar} {value}/{total} | {rate} rows/s | ETA {eta_text} | failed {failed} | tokens {tokens}',
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        noTTYOutput: false,
      },
      Presets.shades_classic,
    );
  }
  start(total: number): void {
    this.#total = total;
    this.#bar = this.#bars.create(total, 0, this.#payload());
  }
  update(): void {
    this.#bar?.update(this.stats.done, this.#payload());
  }
  log(message: string): void {
    this.#bars.log(`${message}\n`);
  }
  stop(): void {
    this.update();
    this.#bars.stop();
  }
  #payload() {
    return { rate: rate(this.stats).toFixed(1), eta_text: eta(this.stats, this.#total), failed: this.stats.failed, tokens: this.stats.tokens };
  }
}

class LineProgress implements Progress {
  #timer: NodeJS.Timeout | undefined;
  #total = 0;
  constructor(
    private readonly stats: BatchStats,
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs: number,
  ) {}
  start(total: number): void {
    this.#total = total;
    this.#timer = setInterval(() => this.#print(), this.intervalMs);
    this.#timer.unref();
  }
  update(): void {}
  log(message: string): void {
    this.stream.write(`${message}\n`);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
  #print(): void {
    const s = this.stats;
    this.stream.write(`progress: ${s.done}/${this.#total} rows, ${rate(s).toFixed(1)} rows/s, ETA ${eta(s, this.#total)}, failed ${s.failed}, tokens ${s.tokens}\n`);
  }
}
