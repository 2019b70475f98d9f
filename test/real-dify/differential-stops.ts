/**
 * The stop cases of the differential suite. The real Dify 1.13.2 takes a stop two ways at
 * once (src/server/engine/stop-race.ts): its graph engine sees it when a node finishes, its
 * stream when a 1 s cache of the stop flag expires. The held-stop app (dsl/held-stop.yml)
 * waits on an HTTP request to a loopback server of the test, so the test decides which comes
 * first: it lets the request finish right after the stop, or only once the stream has ended.
 */
import { readFrames, startHold, type StreamFrame } from '../helpers/streaming-run.js';
import { send, type Target } from './differential-harness.js';

/** Starts a streaming run and reads it to its end; `onFrame` sees each event as it arrives. */
async function readStream(t: Target, body: unknown, onFrame: (frame: StreamFrame) => Promise<void>): Promise<StreamFrame[]> {
  const res = await fetch(`${t.baseURL}/workflows/run`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return readFrames(res, onFrame);
}

/** What was stored for a stopped run: its detail and the logs filters a client would use. */
interface Stored {
  detail: Record<string, unknown>;
  logs: Record<string, unknown>[];
  stoppedTotal: number;
  failedTotal: number;
}

async function stored(t: Target, runId: string, user: string): Promise<Stored> {
  const detail = (await send(t, { path: `/workflows/run/${runId}` })).body as Record<string, unknown>;
  const logs = async (query: string) =>
    (await send(t, { path: `/workflows/logs?created_by_end_user_session_id=${user}${query}` })).body as {
      total: number;
      data: { workflow_run: Record<string, unknown> }[];
    };
  return {
    detail: {
      status: detail['status'],
      error: detail['error'],
      outputs: detail['outputs'],
      finished_at: detail['finished_at'],
      total_steps: detail['total_steps'],
    },
    logs: (await logs('')).data.map((entry) => entry.workflow_run),
    stoppedTotal: (await logs('&status=stopped')).total,
    failedTotal: (await logs('&status=failed')).total,
  };
}

interface HeldStop {
  /** The event after which the stop is sent. */
  stopAt: 'workflow_started' | 'node_started';
  /** When the held request may finish: right after the stop, or once the stream ended. */
  release: 'after-stop' | 'after-stream';
  /** Compare only the outcome, not the events up to it (they depend on how far each server got). */
  outcomeOnly?: boolean;
}

let counter = 0;

async function heldStop(t: Target, how: HeldStop): Promise<unknown> {
  const held = await startHold();
  const user = `diff-held-${Date.now().toString(36)}-${counter++}`;
  let stop: Promise<unknown> | undefined;
  try {
    const frames = await readStream(t, { inputs: { url: held.url }, user, response_mode: 'streaming' }, async (frame) => {
      const trigger =
        how.stopAt === 'workflow_started' ? frame.event === 'workflow_started' : frame.event === 'node_started' && frame.data['node_id'] === 'fetch';
      if (!trigger || stop) return;
      stop = send(t, { path: `/workflows/tasks/${frame.task_id}/stop`, json: { user } }).then((observed) => observed.body);
      await stop;
      if (how.release === 'after-stop') held.release('held body');
    });
    const last = frames.at(-1)!;
    const outcome = {
      stop: await stop,
      last: { event: last.event, status: last.data['status'], error: last.data['error'], outputs: last.data['outputs'] },
      ...(await stored(t, last.workflow_run_id, user)),
    };
    if (how.outcomeOnly) {
      const { detail, logs, ...rest } = outcome;
      return { ...rest, detail: { ...detail, total_steps: undefined }, logs: logs.map((run) => ({ status: run['status'], error: run['error'] })) };
    }
    return { order: frames.map((f) => `${f.event}:${String(f.data['node_id'] ?? '')}`), ...outcome, total_steps: last.data['total_steps'] };
  } finally {
    await held.close();
  }
}

/** Starts a slow code run, stops it while its Python node sleeps, reads the stream to its end, then asks what was stored. */
async function stoppedInCode(t: Target): Promise<unknown> {
  const user = `diff-code-stop-${Date.now().toString(36)}-${counter++}`;
  let stop: Promise<unknown> | undefined;
  const frames = await readStream(t, { inputs: { query: 'stop me', seconds: 4 }, user, response_mode: 'streaming' }, async (frame) => {
    if (stop || frame.event !== 'node_started' || frame.data['node_id'] !== 'py') return;
    stop = send(t, { path: `/workflows/tasks/${frame.task_id}/stop`, json: { user } }).then((observed) => observed.body);
    await stop;
  });
  const last = frames.at(-1)!;
  return {
    // Up to the stop the run is deterministic; the interrupted node gets no node_finished on Dify.
    order: frames.map((f) => `${f.event}:${String(f.data['node_id'] ?? '')}`),
    stop: await stop,
    last: { event: last.event, status: last.data['status'], error: last.data['error'], outputs: last.data['outputs'] },
    ...(await stored(t, last.workflow_run_id, user)),
  };
}

export const STOP_CASES = [
  {
    name: "stop: the node running finishes at once (Dify's graph engine sees the stop: stream failed, run recorded stopped)",
    app: 'held' as const,
    run: (t: Target) => heldStop(t, { stopAt: 'node_started', release: 'after-stop' }),
  },
  {
    name: 'stop: the node running outlasts the stop flag cache (the stream sees the stop: stream stopped, run stays running)',
    app: 'held' as const,
    run: (t: Target) => heldStop(t, { stopAt: 'node_started', release: 'after-stream' }),
  },
  {
    name: 'stop right after workflow_started, before the first node finished on Dify (outcome only)',
    app: 'held' as const,
    run: (t: Target) => heldStop(t, { stopAt: 'workflow_started', release: 'after-stop', outcomeOnly: true }),
  },
  { name: 'stop: a code node sleeping 4 s (the stream sees the stop)', app: 'code' as const, run: stoppedInCode },
];
