/** The input fingerprint a resume compares: what is sent to Dify, in any key order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inputFingerprint } from '../../src/results/fingerprint.js';

test('same inputs in any order, with any id or expectation, have one fingerprint; a changed value another', () => {
  const base = inputFingerprint({ id: 'r1', review: 'Great', rating: '5', meta: { b: 1, a: [1, { y: 2, x: 1 }] } });
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(inputFingerprint({ meta: { a: [1, { x: 1, y: 2 }], b: 1 }, rating: '5', review: 'Great', id: 'other' }), base);
  assert.equal(inputFingerprint({ review: 'Great', rating: '5', meta: { a: [1, { x: 1, y: 2 }], b: 1 }, 'expect:sentiment': 'positive' }), base);
  assert.notEqual(inputFingerprint({ review: 'Great!', rating: '5', meta: { a: [1, { x: 1, y: 2 }], b: 1 } }), base);
  assert.notEqual(inputFingerprint({ review: 'Great', rating: 5, meta: { a: [1, { x: 1, y: 2 }], b: 1 } }), base, 'a number is not its text');
  assert.notEqual(inputFingerprint({ review: 'Great', rating: '5' }), base, 'a removed input changes it');
});
