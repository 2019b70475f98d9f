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

test('the fingerprint of given inputs never changes: outputs written by earlier versions still match', () => {
  assert.equal(inputFingerprint({ id: 'r1', review: 'Great', rating: '5', meta: { b: 1, a: [1, { y: 2, x: 1 }] } }), '9a0f4e8824419f5d');
  // Integer-like keys (which objects order numerically) are sorted as text; non-ASCII as itself.
  assert.equal(inputFingerprint({ 10: 'a', 9: 'b', review: '日本語 😀' }), '06c46e02949c4845');
});

test('rows with other columns than the row before them get their own sorted key list', () => {
  assert.equal(inputFingerprint({ b: '1', a: '2' }), inputFingerprint({ a: '2', b: '1' }));
  assert.notEqual(inputFingerprint({ a: '2', b: '1' }), inputFingerprint({ a: '2', c: '1' }));
});
