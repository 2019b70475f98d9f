/**
 * Stops as the real Dify 1.13.2 takes them (src/server/engine/stop-race.ts, the README's flaws
 * table), measured on the kit and checked side by side in test/real-dify/differential-stops.ts:
 * a stop the graph engine sees first (the node running finishes before the stream's cached read
 * of the stop flag expires) ends the stream `failed` "Aborted: User requested stop" and is
 * recorded `stopped`; one the stream sees first ends it `stopped` and leaves the run `running`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StopRace } from '../../src/server/engine/stop-race.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { readFrames, startHold, type StreamFrame } from '../helpers/streaming-run.js';

const HELD = 'test/fixtures/workflows/held-request.yml';
type Frame = StreamFrame;

describe('StopRace', () => {
  test("a stop is the engine's until the stream's cached read of the flag expires, then the stream's", () => {
    let now = 0;
    const race = new StopRace(1000, () => now);
    let cuts = 0;
    race.onCut(() => cuts++);
    race.eventSent(); // workflow_started: the flag (not set) is read and cached until t=1000
    now = 100;
    race.request();
    now = 999;
    race.eventSent();
    assert.equal(cuts, 0, 'the cached read still says not stopped');
    assert.equal(race.engineSeesStop(), true, 'the abort command is read at once');
    now = 1000;
    race.eventSent();
    assert.deepEqual([cuts, race.outcome, race.engineSeesStop()], [1, 'cut', false]);
  });

  test('with no event, the stream reads the flag a second after the last one', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let now = 0;
    const race = new StopRace(1000, () => now);
    let cuts = 0;
    race.onCut(() => cuts++);
    race.eventSent();
    now = 300;
    race.request();
    now = 999;
    t.mock.timers.tick(699);
    assert.equal(cuts, 0);
    now = 1000;
    t.mock.timers.tick(1);
    assert.deepEqual([cuts, race.outcome], [1, 'cut']);
  });

  test("once the engine's abort ended the run, the stream no longer cuts it", () => {
    let now = 0;
    const race = new StopRace(1000, () => now);
    let cuts = 0;
    race.onCut(() => cuts++);
    race.eventSent();
    race.request();
    race.aborted();
    now = 5000;
    race.eventSent();
    assert.deepEqual([cuts, race.outcome], [0, 'aborted']);
  });
});

/** Streams a held-request run, stops it once its HTTP node started, and lets the node finish right after the stop or only once the stream ended. */
async function stopWhileFetching(server: RunningServer, user: string, release: 'after-stop' | 'after-stream'): Promise<Frame[]> {
  const hold = await startHold();
  try {
    const res = await fetch(`${server.baseURL}/workflows/run`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: { url: hold.url }, user, response_mode: 'streaming' }),
    });
    return await readFrames(res, async (frame) => {
      if (frame.event !== 'node_started' || frame.data['node_id'] !== 'fetch') return;
      const stop = await fetch(`${server.baseURL}/workflows/tasks/${frame.task_id}/stop`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user }),
      });
      assert.deepEqual(await stop.json(), { result: 'success' });
      if (release === 'after-stop') hold.release('held body');
    });
  } finally {
    await hold.close();
  }
}

async function stored(server: RunningServer, runId: string, user: string) {
  const get = async (path: string) => (await fetch(`${server.baseURL}${path}`, { headers: { Authorization: `Bearer ${server.apiKey}` } })).json();
  const detail = (await get(`/workflows/run/${runId}`)) as { status: string; error: string | null; finished_at: number | null; total_steps: number };
  const logs = async (status: string) => ((await get(`/workflows/logs?created_by_end_user_session_id=${user}&status=${status}`)) as { total: number }).total;
  return { status: detail.status, error: detail.error, finished: detail.finished_at !== null, steps: detail.total_steps, stoppedLogs: await logs('stopped') };
}

const order = (frames: Frame[]) => frames.map((f) => `${f.event}${f.data['node_id'] ? `:${String(f.data['node_id'])}` : ''}`);
const last = (frames: Frame[]) => [frames.at(-1)!.event, frames.at(-1)!.data['status'], frames.at(-1)!.data['error'], frames.at(-1)!.data['outputs']];

describe('stopping a run on serve (flaws on, as Dify 1.13.2)', () => {
  test('the node finishes before the cached flag read expires: the engine aborts; stream failed, run recorded stopped', async () => {
    // A cache longer than any test run makes the engine win however slowly the machine runs.
    const server = await startServer({ workflow: HELD, port: 0, stopFlagCacheMs: 600_000 });
    try {
      const frames = await stopWhileFetching(server, 'engine-wins', 'after-stop');
      assert.deepEqual(order(frames), [
        'workflow_started',
        'node_started:start',
        'node_finished:start',
        'node_started:fetch',
        'text_chunk',
        'node_finished:fetch',
        // the node made ready next starts; an End node is quick enough to finish on Dify too
        'node_started:end',
        'node_finished:end',
        'workflow_finished',
      ]);
      assert.deepEqual(
        last(frames),
        ['workflow_finished', 'failed', 'Aborted: User requested stop', { body: 'held body' }],
        'the End that finished wrote its outputs',
      );
      assert.deepEqual(await stored(server, frames[0]!.workflow_run_id, 'engine-wins'), {
        status: 'stopped',
        error: 'Aborted: User requested stop',
        finished: true,
        steps: 3,
        stoppedLogs: 1,
      });
    } finally {
      await server.close();
    }
  });

  test('the node outlasts the cached flag read: the stream ends stopped, the run stays running for good', async () => {
    const server = await startServer({ workflow: HELD, port: 0 });
    try {
      const frames = await stopWhileFetching(server, 'stream-wins', 'after-stream');
      assert.deepEqual(order(frames), ['workflow_started', 'node_started:start', 'node_finished:start', 'node_started:fetch', 'workflow_finished']);
      assert.deepEqual(last(frames), ['workflow_finished', 'stopped', 'Stopped by user.', {}]);
      const runId = frames[0]!.workflow_run_id;
      assert.deepEqual(await stored(server, runId, 'stream-wins'), { status: 'running', error: null, finished: false, steps: 0, stoppedLogs: 0 });
      assert.equal(server.activeRuns, 0, 'the run no longer executes');
    } finally {
      await server.close();
    }
  });

  test('with the flaws off a stop acts at once and is recorded stopped', async () => {
    const server = await startServer({ workflow: HELD, port: 0, flaws: false, stopFlagCacheMs: 600_000 });
    try {
      const frames = await stopWhileFetching(server, 'no-flaws', 'after-stream');
      assert.deepEqual(last(frames), ['workflow_finished', 'stopped', 'Stopped by user.', {}]);
      assert.deepEqual(await stored(server, frames[0]!.workflow_run_id, 'no-flaws'), {
        status: 'stopped',
        error: 'Stopped by user.',
        finished: true,
        steps: 2,
        stoppedLogs: 1,
      });
    } finally {
      await server.close();
    }
  });
});
