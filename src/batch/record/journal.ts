/**
 * The in-flight journal (`<output>.journal`): what was sent to the server but has no outcome
 * line yet. Written *before* a run is POSTed and the moment its run id arrives, so a killed
 * process never leaves a run we cannot find again. Entries are synced to disk soon after (within
 * the appender's 5 ms interval plus one sync), without holding up the POST: only a power loss in
 * that window could lose one (that row would then be sent again on resume). A clean end deletes
 * the file.
 *
 *   {"e":"post","id":"r1","user":"difyrun-r1","at":1732186800123}
 *   {"e":"run","id":"r1","run":"<workflow_run_id>","task":"<task_id>","at":…}
 *   {"e":"stop","id":"r1","at":…}        difyrun asked Dify to stop the run (Dify never records it)
 *
 * The Journal is the batch's RowStateStore (src/batch/execute/execute-row.ts).
 */
import { rm } from 'node:fs/promises';
import { DurableAppender } from './durable-appender.js';
import { readTextIfExists } from './read-if-exists.js';
import type { RowStateStore } from '../execute/execute-row.js';

export interface InFlight {
  id: string;
  user: string;
  /** When the attempt was posted (ms since epoch). */
  at: number;
  runId?: string | undefined;
  taskId?: string | undefined;
  /** Run ids of earlier attempts of this row (to tell duplicates apart). */
  earlierRunIds: string[];
  /** difyrun asked the server to stop the run. */
  stopRequested?: boolean | undefined;
}

type Entry =
  | { e: 'post'; id: string; user: string; at: number }
  | { e: 'run'; id: string; run: string; task: string; at: number }
  | { e: 'stop'; id: string; at: number };

export class Journal implements RowStateStore {
  private constructor(
    private readonly appender: DurableAppender,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<Journal> {
    return new Journal(await DurableAppender.open(path), path);
  }

  /** The rows a previous process left in flight (latest attempt per id). A torn last line is ignored. */
  static async load(path: string): Promise<Map<string, InFlight>> {
    const inFlight = new Map<string, InFlight>();
    const text = await readTextIfExists(path);
    if (text === undefined) return inFlight;
    for (const line of text.split('\n')) {
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        continue;
      }
      const current = inFlight.get(entry.id);
      if (entry.e === 'post') {
        const earlier = current ? [...current.earlierRunIds, ...(current.runId ? [current.runId] : [])] : [];
        inFlight.set(entry.id, { id: entry.id, user: entry.user, at: entry.at, earlierRunIds: earlier });
      } else if (current && entry.e === 'run') {
        current.runId = entry.run;
        current.taskId = entry.task;
      } else if (current && entry.e === 'stop') {
        current.stopRequested = true;
      }
    }
    return inFlight;
  }

  posting(id: string, user: string, at: number): Promise<void> {
    return this.appender.appendWritten(`${JSON.stringify({ e: 'post', id, user, at })}\n`);
  }

  started(id: string, runId: string, taskId: string): Promise<void> {
    return this.appender.appendWritten(`${JSON.stringify({ e: 'run', id, run: runId, task: taskId, at: Date.now() })}\n`);
  }

  stopping(id: string): Promise<void> {
    return this.appender.appendWritten(`${JSON.stringify({ e: 'stop', id, at: Date.now() })}\n`);
  }

  /** Closes the journal; deletes it when nothing is left in flight. */
  async close(deleteFile: boolean): Promise<void> {
    await this.appender.close();
    if (deleteFile) await rm(this.path, { force: true });
  }
}
