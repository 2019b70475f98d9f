/** The streams of a run: a live run, a run Dify rejected after answering 200, and GET /workflow/{id}/events. */
import type { EngineEvent } from '../../engine/run-graph.js';
import type { RunFault } from '../../faults.js';
import type { ActiveRun } from '../../run-manager.js';
import { finishedEvent } from '../../wire.js';
import { ApiError } from '../api-error.js';
import type { RequestContext } from '../context.js';
import { SseWriter } from '../sse.js';

/** A silent (stalled) stream is cut after this long so sockets are not held forever. */
const MAX_STALL_MS = 10 * 60 * 1000;

export function streamRun(ctx: RequestContext, run: ActiveRun, fault: RunFault): void {
  const writer = new SseWriter(ctx.res, ctx.parts.pingIntervalMs);
  let sent = 0;
  const onEvent = (event: EngineEvent) => {
    if (writer.closed) return void run.subscribers.delete(onEvent);
    if (fault.kind === 'drop' && sent >= fault.afterEvents) {
      run.subscribers.delete(onEvent);
      return writer.destroy(); // the run goes on server-side
    }
    writer.send(event);
    sent++;
    if (fault.kind === 'stall' && sent === 1) {
      writer.silent = true;
      setTimeout(() => writer.destroy(), MAX_STALL_MS).unref();
    }
    if (isTerminal(event) && !writer.silent) {
      run.subscribers.delete(onEvent);
      writer.end();
    }
  };
  attach(run, onEvent);
  ctx.res.on('close', () => run.subscribers.delete(onEvent));
}

/**
 * A streaming run whose inputs Dify rejects: it answers 200 and one ping, the error is raised
 * in the worker and never reaches the stream, which stays silent until the 300 s idle timeout
 * (`rejectedStreamMs`) and then ends. With the flaws off: one `error` event, as Dify means to.
 */
export function rejectStream(ctx: RequestContext, message: string): void {
  const writer = new SseWriter(ctx.res, 0);
  if (!ctx.parts.flaws) {
    writer.send({ event: 'error', workflow_run_id: null, code: 'invalid_param', message, status: 400 });
    return writer.end();
  }
  const timer = setTimeout(() => writer.end(), ctx.parts.rejectedStreamMs);
  ctx.res.on('close', () => clearTimeout(timer));
}

/** Replays what the run emitted so far, then follows it live. */
function attach(run: ActiveRun, onEvent: (event: EngineEvent) => void): void {
  const replay = [...run.events];
  run.subscribers.add(onEvent);
  for (const event of replay) onEvent(event);
}

function isTerminal(event: EngineEvent): boolean {
  return event.event === 'workflow_finished' || event.event === 'workflow_paused';
}

/**
 * GET /workflow/{id}/events (in Dify's API docs, not in the 1.13.2 Service API): a running run
 * is replayed and followed; a finished one sends its final event; a run recorded as running
 * that no longer runs (stopped, or cut by a restart) sends nothing more.
 */
export function runEvents(ctx: RequestContext): void {
  const runId = ctx.params[0]!;
  const active = ctx.parts.runs.get(runId);
  if (active) {
    const writer = new SseWriter(ctx.res, ctx.parts.pingIntervalMs);
    const onEvent = (event: EngineEvent) => {
      writer.send(event);
      if (isTerminal(event)) {
        active.subscribers.delete(onEvent);
        writer.end();
      }
    };
    attach(active, onEvent);
    ctx.res.on('close', () => active.subscribers.delete(onEvent));
    return;
  }
  const record = ctx.parts.store.getRun(runId);
  if (!record) throw new ApiError(404, 'not_found', 'Workflow run not found.');
  const writer = new SseWriter(ctx.res, 0);
  if (record.finished_at !== null) writer.send(finishedEvent({ ...record, finished_at: record.finished_at }));
  writer.end();
}
