/** collectGarbage(): a full collection once --expose-gc is set at run time (as main.ts does for batch); nothing before. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { collectGarbage } from '../../src/util/collect-garbage.js';

/** A WeakRef to an object nothing else holds, made in a frame of its own. */
function unreferenced(): WeakRef<object> {
  return new WeakRef({ payload: new Array(1000).fill('garbage') });
}

test('collectGarbage collects what nothing holds once --expose-gc is set, and is harmless before', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this test needs a process started without --expose-gc');
  collectGarbage(); // no flag yet: does nothing, throws nothing
  setFlagsFromString('--expose-gc');
  const ref = unreferenced();
  // A WeakRef's target survives until the current job ends: let it end first.
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  assert.equal(ref.deref(), undefined);
});
