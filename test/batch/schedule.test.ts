/** The scheduling stages on their own: the AIMD window and the rate gate. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdaptiveWindow } from '../../src/batch/schedule/adaptive-window.js';
import { RateGate } from '../../src/batch/schedule/rate-gate.js';

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

  test('a stray refusal does not shrink it; 20% refusals of the last 20 halve it, once per window', () => {
    const window = new AdaptiveWindow(16);
    for (let i = 0; i < 19; i++) window.onSuccess();
    assert.equal(window.onOverloaded(Date.now()), false, 'one refusal in 20 answers');
    assert.equal(window.limit, 16);
    for (let i = 0; i < 2; i++) window.onOverloaded(Date.now());
    assert.equal(window.onOverloaded(Date.now()), true, 'the fourth refusal in 20 answers halves it');
    assert.equal(window.limit, 8);
    // Answers to requests started before the decrease say nothing about the new window.
    for (let i = 0; i < 10; i++) assert.equal(window.onOverloaded(0), false);
    assert.equal(window.limit, 8);
  });

  test('never below 1; grows back by about one slot per window of successes, never above max', () => {
    const window = new AdaptiveWindow(4);
    for (let round = 0; round < 5; round++) for (let i = 0; i < 20; i++) window.onOverloaded(Date.now() + 1);
    assert.equal(window.limit, 1);
    window.onSuccess();
    assert.equal(window.limit, 2);
    for (let i = 0; i < 100; i++) window.onSuccess();
    assert.equal(window.limit, 4);
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
    assert.deepEqual(starts.map(([n]) => n), [0, 1, 2]);
    assert.ok(starts[2]![1] - starts[0]![1] >= 55, 'two gaps of ~30 ms');
  });

  test('an rpm bucket allows a burst of rpm/60, then paces', async () => {
    const gate = new RateGate({ rpm: 1200 }); // 20/s: a burst of 20, then one per 50 ms
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) await gate.take(signal);
    const afterBurst = Date.now();
    for (let i = 0; i < 3; i++) await gate.take(signal);
    assert.ok(Date.now() - afterBurst >= 100, 'the three after the burst waited for tokens');
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
