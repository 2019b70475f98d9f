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
