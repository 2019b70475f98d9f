/**
 * Queues the rows of one invocation on the app's queue, a bounded number ahead of the
 * outcomes (Redis holds a window of the batch, not the whole input). A row is queued only if
 * this invocation has not recorded it; its job id is fixed per row, so queueing a row whose
 * job still exists (in flight since an earlier invocation) changes nothing.
 */
import type { Queue } from 'bullmq';
import { jobIdFor } from '../keys.js';
import { ROW_JOB_OPTIONS, type RowJobData } from '../row-job.js';
import type { OutcomeSink } from './outcome-sink.js';
import type { Serial } from './serial.js';

const BULK = 200;

export class RowFeeder {
  #pending: RowJobData[] = [];
  /** Set when the batch stops: nothing more is queued. */
  stopped = false;
  queued = 0;

  constructor(
    private readonly queue: Queue<RowJobData>,
    private readonly sink: OutcomeSink,
    private readonly serial: Serial,
    private readonly maxOutstanding: number,
  ) {}

  async add(row: RowJobData): Promise<void> {
    this.#pending.push(row);
    if (this.#pending.length >= BULK) await this.flush();
  }

  async flush(): Promise<void> {
    const rows = this.#pending;
    this.#pending = [];
    for (let start = 0; start < rows.length && !this.stopped;) {
      while (!this.stopped && this.sink.outstanding.size >= this.maxOutstanding) await this.sink.changed();
      const room = Math.max(1, this.maxOutstanding - this.sink.outstanding.size);
      const chunk = rows.slice(start, start + room);
      start += chunk.length;
      await this.serial.run(async () => {
        if (this.stopped) return;
        const fresh = chunk.filter((row) => !this.sink.recorded.has(row.id));
        await this.queue.addBulk(fresh.map((data) => ({ name: 'row', data, opts: { ...ROW_JOB_OPTIONS, jobId: jobIdFor(data.b, data.id) } })));
        for (const row of fresh) this.sink.outstanding.add(row.id);
        this.queued += fresh.length;
      });
    }
  }
}
