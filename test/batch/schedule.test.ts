/** The scheduling stages on their own: the AIMD window and the rate gate. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdaptiveWindow } from '../../src/batch/schedule/adaptive-window.js';
import { Pacing } from '../../src/batch/schedule/pacing.js';
import { RateGate } from '../../src/batch/schedule/rate-gate.js';
import { RecentLatencies } from '../../src/batch/schedule/recent-latencies.js';

describe('AdaptiveWindow', () => {
  test('holds at most `limit` slots; a release lets the next waiter in', async () => {
    const window = new AdaptiveWindow(2);
    await window.acquire();
    await window.acquire();
    let third = false;
    const waiting = window.acquire().then(() => (third = true));
    await Promise.resolve();
    assert.equal(third, false);
    assert.equal(window.active, 2);
    window.release();
    await waiting;
    assert.equal(third, true);
    assert.equal(window.active, 2);
  });

  test('stray refusals do not shrink it; 30% refusals of the last 20 halve it, for requests started after the last decrease', () => {
    const window = new AdaptiveWindow(16);
    for (let i = 0; i < 16; i++) window.onSuccess();
    for (let i = 0; i < 4; i++) assert.equal(window.onOverloaded(Date.now()), false, '4 refusals in 20 answers (a background rate)');
    assert.equal(window.limit, 16);
    assert.equal(window.onOverloaded(Date.now()), false);
    assert.equal(window.onOverloaded(Date.now()), true, 'the sixth refusal in 20 answers halves it');
    assert.equal(window.limit, 8);
    // Answers to requests started before the decrease say nothing about the new window.
    for (let i = 0; i < 10; i++) assert.equal(window.onOverloaded(0), false);
    assert.equal(window.limit, 8);
  });

  test('8% random refusals (not about concurrency) leave it near its maximum', () => {
    const window = new AdaptiveWindow(32);
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      if (random() < 0.08) window.onOverloaded(Date.now() + 1);
      else window.onSuccess();
      sum += window.limit;
    }
    assert.ok(sum / 10_000 >= 30, `average window ${sum / 10_000}`);
  });

  test('at most one decrease per window of answers, even under a flood of refusals', () => {
    const window = new AdaptiveWindow(32);
    let decreases = 0;
    for (let i = 0; i < 6; i++) if (window.onOverloaded(Date.now() + 1)) decreases++;
    assert.equal(decreases, 1, 'the sixth refusal halves it');
    assert.equal(window.limit, 16);
    for (let i = 0; i < 15; i++) assert.equal(window.onOverloaded(Date.now() + 1), false, `answer ${i + 1} of the new window`);
    assert.equal(window.onOverloaded(Date.now() + 1), true, 'the 16th answer since the decrease may shrink it again');
    assert.equal(window.limit, 8);
  });

  test('never below 1; grows back by about one slot per quarter window of successes, never above max', () => {
    const window = new AdaptiveWindow(32);
    for (let round = 0; round < 10; round++) for (let i = 0; i < 40; i++) window.onOverloaded(Date.now() + 1);
    assert.equal(window.limit, 1);
    window.onSuccess();
    assert.equal(window.limit, 5);
    for (let i = 0; i < 16; i++) window.onSuccess();
    assert.ok(window.limit >= 12 && window.limit <= 14, `after 17 successes: ${window.limit}`);
    for (let i = 0; i < 200; i++) window.onSuccess();
    assert.equal(window.limit, 32);
  });

  test('a row under way that asks with `first` is let in before rows not yet started', async () => {
    const window = new AdaptiveWindow(1);
    await window.acquire();
    const order: string[] = [];
    const fresh = window.acquire().then(() => order.push('new row'));
    const retry = window.acquire(true).then(() => order.push('retrying row'));
    window.release();
    await retry;
    window.release();
    await fresh;
    assert.deepEqual(order, ['retrying row', 'new row']);
  });

  test('wakeAll lets waiters re-check (used when the batch stops)', async () => {
    const window = new AdaptiveWindow(1);
    await window.acquire();
    let woke = 0;
    const waiter = new Promise<void>((resolve) => {
      void window.acquire().then(() => {
        woke++;
        resolve();
      });
    });
    window.wakeAll(); // still full: the waiter goes back to waiting
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(woke, 0);
    window.release();
    await waiter;
    assert.equal(woke, 1);
  });
});

describe('RateGate', () => {
  test('serves callers in order and keeps --wait spacing between starts', async () => {
    const gate = new RateGate({ minSpacingMs: 30 });
    const signal = new AbortController().signal;
    const starts: [number, number][] = [];
    await Promise.all([0, 1, 2].map((n) => gate.take(signal).then(() => starts.push([n, Date.now()]))));
    assert.deepEqual(
      starts.map(([n]) => n),
      [0, 1, 2],
    );
    assert.ok(starts[2]![1] - starts[0]![1] >= 55, 'two gaps of ~30 ms');
  });

  test('an rpm bucket allows a burst of rpm/60, then paces', async () => {
    const created = Date.now();
    const gate = new RateGate({ rpm: 1200 }); // 20/s: a burst of 20, then one per 50 ms
    const signal = new AbortController().signal;
    for (let i = 0; i < 23; i++) await gate.take(signal);
    // At most 20 + 20/s × t starts by time t, however slow the machine: 23 need 150 ms.
    assert.ok(Date.now() - created >= 145, 'the three after the burst waited for tokens');
  });

  test('pauseUntil holds everyone back; an aborted signal rejects the wait', async () => {
    const gate = new RateGate();
    const stop = new AbortController();
    gate.pauseUntil(Date.now() + 60_000);
    const turn = gate.take(stop.signal);
    stop.abort();
    await assert.rejects(turn, /scheduling stopped/);
    const later = new RateGate();
    later.pauseUntil(Date.now() + 40);
    const before = Date.now();
    await later.take(new AbortController().signal);
    assert.ok(Date.now() - before >= 35);
  });
});

describe('Pacing', () => {
  test('a backoff is waited out of the window: the slot serves another row meanwhile, then is taken back', async () => {
    const pacing = new Pacing({ concurrency: 1, rpm: undefined, minSpacingMs: 0 });
    await pacing.takeSlot();
    const never = new AbortController().signal;
    const backoff = pacing.waitAside(50, never);
    assert.equal(pacing.inFlight, 0, 'the waiting row holds no slot');
    await pacing.takeSlot(); // another row runs during the backoff
    assert.equal(pacing.inFlight, 1);
    let back = false;
    void backoff.then(() => (back = true));
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(back, false, 'the window is full: the row waits for a slot after its backoff');
    pacing.giveBackSlot();
    await backoff;
    assert.equal(pacing.inFlight, 1);
  });
});

describe('RecentLatencies', () => {
  test('the recovery wait is 3× the recent p95 + 5 s, and follows the latencies as they change', () => {
    const latencies = new RecentLatencies();
    assert.equal(latencies.recoveryWaitMs(300_000), 60_000, 'before 10 rows: up to a minute');
    for (let i = 0; i < 200; i++) latencies.add(1000);
    assert.equal(latencies.recoveryWaitMs(300_000), 8000);
    for (let i = 0; i < 200; i++) {
      latencies.add(10_000);
      latencies.recoveryWaitMs(300_000); // asked once per row, as the batch does
    }
    assert.equal(latencies.recoveryWaitMs(300_000), 35_000);
    assert.equal(latencies.recoveryWaitMs(20_000), 20_000, 'never beyond the row timeout');
  });
});
