import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdleWatchdog, type Clock, type IdleKind } from '../../src/client/idle-watchdog.js';

/** A clock that moves only when told to, running due timers as it passes them. */
class ManualClock implements Clock {
  #now = 1_000_000;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;
  now(): number {
    return this.#now;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = end;
  }
}

function watch(limits: ConstructorParameters<typeof IdleWatchdog>[0]) {
  const clock = new ManualClock();
  const fired: { kind: IdleKind; timeoutMs: number }[] = [];
  const dog = new IdleWatchdog(limits, (kind, timeoutMs) => fired.push({ kind, timeoutMs }), clock);
  dog.arm();
  return { clock, dog, fired };
}

describe('IdleWatchdog', () => {
  test('no bytes while waiting on the network for byteTimeout fires "bytes" once', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 100 });
    dog.readStarted();
    clock.advance(99);
    assert.deepEqual(fired, []);
    clock.advance(500);
    assert.deepEqual(fired, [{ kind: 'bytes', timeoutMs: 100 }]);
  });

  test('before the run starts, silence longer than byteTimeout is a queued run: only the start deadline ends it', () => {
    // Real Dify sends nothing while a run waits for its worker; giving up on bytes there made a retry run the row twice.
    const { clock, dog, fired } = watch({ byteTimeout: 100, startTimeout: 1_000 });
    dog.readStarted();
    clock.advance(999);
    assert.deepEqual(fired, []);
    clock.advance(10);
    assert.deepEqual(fired, [{ kind: 'start', timeoutMs: 1_000 }]);
  });

  test('once the run started, the bytes deadline is back', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 100, startTimeout: 1_000 });
    dog.readStarted();
    clock.advance(500);
    dog.readEnded(true);
    dog.sawEvent();
    dog.sawStart();
    dog.readStarted();
    clock.advance(99);
    assert.deepEqual(fired, []);
    clock.advance(10);
    assert.deepEqual(fired, [{ kind: 'bytes', timeoutMs: 100 }]);
  });

  test('bytes reset the byte deadline', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 100 });
    for (let i = 0; i < 10; i++) {
      dog.readStarted();
      clock.advance(60);
      dog.readEnded(true);
    }
    assert.deepEqual(fired, []);
  });

  test('time the consumer spends between reads does not count', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 100, eventTimeout: 100, startTimeout: 100 });
    dog.readStarted();
    clock.advance(50);
    dog.readEnded(true);
    clock.advance(10_000); // the consumer is busy
    dog.readStarted();
    clock.advance(40);
    assert.deepEqual(fired, []);
    clock.advance(100);
    assert.equal(fired.length, 1);
  });

  test('pings (bytes) without events fire "events" after eventTimeout', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 1000, eventTimeout: 300 });
    dog.sawStart();
    for (let i = 0; i < 10 && fired.length === 0; i++) {
      dog.readStarted();
      clock.advance(40);
      dog.readEnded(true); // a ping
    }
    assert.deepEqual(fired, [{ kind: 'events', timeoutMs: 300 }]);
  });

  test('no first run event within startTimeout fires "start", even while pings arrive', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 1000, startTimeout: 200 });
    for (let i = 0; i < 10 && fired.length === 0; i++) {
      dog.readStarted();
      clock.advance(40);
      dog.readEnded(true);
      dog.sawEvent(); // events that are not the start do not satisfy it
    }
    assert.deepEqual(fired, [{ kind: 'start', timeoutMs: 200 }]);
  });

  test('once the run started, the start deadline no longer applies', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 1000, startTimeout: 200 });
    dog.readStarted();
    clock.advance(50);
    dog.readEnded(true);
    dog.sawStart();
    dog.readStarted();
    clock.advance(900);
    assert.deepEqual(fired, []);
    clock.advance(200);
    assert.deepEqual(fired, [{ kind: 'bytes', timeoutMs: 1000 }]);
  });

  test('disarm() stops it for good and leaves no timer behind', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 100 });
    dog.readStarted();
    dog.disarm();
    assert.equal(clock.pending, 0);
    dog.readStarted();
    clock.advance(1000);
    assert.deepEqual(fired, []);
  });

  test('no timer runs while the consumer is busy past a deadline', () => {
    const { clock, dog, fired } = watch({ byteTimeout: 100 });
    dog.readStarted();
    clock.advance(10);
    dog.readEnded(true);
    clock.advance(1000);
    assert.equal(clock.pending, 0, 'the fired timer was not re-armed');
    assert.deepEqual(fired, []);
  });
});

describe('IdleWatchdog quiet check (stalled streams)', () => {
  function quiet(limits: ConstructorParameters<typeof IdleWatchdog>[0], floorMs: number) {
    const w = watch(limits);
    const checks: number[] = [];
    w.dog.watchQuiet(floorMs, () => checks.push(w.clock.now()));
    return { ...w, checks };
  }

  test('silence after the run started asks for a check at the floor, then after twice as long each time; nothing fires', () => {
    const { clock, dog, fired, checks } = quiet({ byteTimeout: 45_000 }, 5000);
    const start = clock.now();
    dog.readStarted();
    clock.advance(10);
    dog.readEnded(true);
    dog.sawStart();
    dog.readStarted();
    clock.advance(30_000);
    assert.deepEqual(
      checks.map((at) => at - start),
      [5011, 10_012, 20_013],
    );
    assert.deepEqual(fired, []);
    clock.advance(20_000);
    assert.deepEqual(fired, [{ kind: 'bytes', timeoutMs: 45_000 }], 'the byte deadline still ends it');
  });

  test('before the run started there is no run to look up: no check', () => {
    const { clock, dog, checks } = quiet({ byteTimeout: 45_000 }, 5000);
    dog.readStarted();
    clock.advance(30_000);
    assert.deepEqual(checks, []);
  });

  test('waits for three of the ping intervals seen on the stream when they are longer than the floor', () => {
    const { clock, dog, checks } = quiet({ byteTimeout: 120_000 }, 5000);
    const start = clock.now();
    dog.sawPing(); // on connect
    dog.sawStart();
    for (let i = 0; i < 2; i++) {
      dog.readStarted();
      clock.advance(10_000);
      dog.readEnded(true);
      dog.sawPing();
    }
    assert.equal(dog.quietAfterMs, 30_000);
    dog.readStarted();
    clock.advance(29_000);
    assert.deepEqual(
      checks.map((at) => at - start),
      [5001],
      'checked once, before any interval was seen; then no more while pings come every 10 s',
    );
    clock.advance(2000);
    assert.deepEqual(
      checks.map((at) => at - start),
      [5001, 50_001],
    );
  });

  test('bytes arriving again reset the check to the floor', () => {
    const { clock, dog, checks } = quiet({ byteTimeout: 120_000 }, 5000);
    dog.sawStart();
    dog.readStarted();
    clock.advance(16_000); // checks at 5 s and 15 s
    dog.readEnded(true);
    assert.equal(checks.length, 2);
    const resumed = clock.now();
    dog.readStarted();
    clock.advance(6000);
    assert.deepEqual(
      checks.slice(2).map((at) => at - resumed),
      [5001],
    );
  });
});
