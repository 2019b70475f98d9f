/** Expectation columns: naming, each assertion kind, empty cells, failed rows, pass rates. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { malformedExpectationColumn, parseExpectationColumn, splitExpectations } from '../../src/results/expectations/columns.js';
import { check, expectationProblem } from '../../src/results/expectations/assertions.js';
import { emptyTally, evaluateExpectations, formatPassRate, invalidExpectation, tallyRow } from '../../src/results/expectations/evaluate.js';

test('expectation columns are named KIND:OUTPUT and split from the inputs sent to Dify', () => {
  assert.deepEqual(parseExpectationColumn('expect:answer'), { kind: 'equals', output: 'answer' });
  assert.deepEqual(parseExpectationColumn('expect_contains:summary'), { kind: 'contains', output: 'summary' });
  assert.deepEqual(parseExpectationColumn('expect_approx:score'), { kind: 'approx', output: 'score' });
  assert.equal(parseExpectationColumn('expected'), undefined);
  assert.equal(parseExpectationColumn('review'), undefined);
  assert.equal(malformedExpectationColumn('review'), undefined);
  assert.match(malformedExpectationColumn('expect_startswith:x')!, /looks like an expectation.*expect_contains:OUTPUT/);
  assert.deepEqual(splitExpectations({ review: 'x', 'expect:sentiment': 'positive', rating: '5' }), {
    inputs: { review: 'x', rating: '5' },
    expectations: { 'expect:sentiment': 'positive' },
  });
});

test('equals: text ignoring surrounding whitespace; typed outputs compared as JSON values', () => {
  assert.equal(check('equals', 'positive', 'positive\n').pass, true);
  assert.equal(check('equals', 'a\r\nb', 'a\nb').pass, true);
  assert.equal(check('equals', 'Positive', 'positive').pass, false, 'case matters');
  assert.equal(check('equals', '1', 1).pass, true);
  assert.equal(check('equals', '1.0', 1).pass, true);
  assert.equal(check('equals', 'true', true).pass, true);
  assert.equal(check('equals', '{"a":[1,2]}', { a: [1, 2] }).pass, true);
  assert.equal(check('equals', '{"a":[1]}', { a: [1, 2] }).pass, false);
  assert.deepEqual(check('equals', 'yes', 'no'), { pass: false, message: 'expected "yes", got "no"' });
  assert.deepEqual(check('equals', 'x', undefined), { pass: false, message: 'the output is missing' });
});

test('contains and regex look at the output text; long outputs are cut in the message', () => {
  assert.equal(check('contains', 'support', '[support] APP review').pass, true);
  assert.equal(check('contains', 'Support', '[support] APP review').pass, false);
  const verdict = check('contains', 'needle', 'x'.repeat(500));
  assert.equal(verdict.pass, false);
  assert.ok(verdict.message!.length < 200 && verdict.message!.includes('…'));
  assert.equal(check('regex', '^\\[(support|marketing)\\]', '[support] x').pass, true);
  assert.equal(check('regex', '/POSITIVE/i', 'positive').pass, true);
  assert.equal(check('regex', '/POSITIVE/', 'positive').pass, false);
  assert.equal(check('regex', '/a/g', 'a').pass && check('regex', '/a/g', 'a').pass, true, 'a g flag keeps no state between rows');
  assert.match(expectationProblem('regex', '(unclosed')!, /not a valid regular expression/);
});

test('JSON subset: objects by key, arrays by position, JSON inside text and code fences', () => {
  const output = { user: { name: 'Ann', tags: ['a', 'b'] }, n: 2, extra: true };
  assert.equal(check('json', '{"user":{"name":"Ann"}}', output).pass, true);
  assert.equal(check('json', '{"user":{"tags":["a","b"]},"n":2}', output).pass, true);
  assert.deepEqual(check('json', '{"user":{"tags":["a"]}}', output), { pass: false, message: '$.user.tags: expected 1 items, got 2' });
  assert.deepEqual(check('json', '{"user":{"age":3}}', output), { pass: false, message: '$.user.age: missing' });
  assert.deepEqual(check('json', '{"n":"2"}', output), { pass: false, message: '$.n: expected "2", got 2' });
  assert.equal(check('json', '{"ok":true}', '```json\n{"ok": true, "why": "x"}\n```').pass, true);
  assert.match(check('json', '{"ok":true}', 'Sure! {"ok": true}').message!, /not JSON/);
  assert.equal(check('json', { ok: true }, { ok: true }).pass, true, 'a JSONL input holds the value itself');
  assert.match(expectationProblem('json', '{nope')!, /not valid JSON/);
});

test('approx: absolute and percent tolerances, numeric text, and exact without a tolerance', () => {
  assert.equal(check('approx', '0.8 ± 0.05', 0.84).pass, true);
  assert.equal(check('approx', '0.8 +- 0.05', 0.86).pass, false);
  assert.equal(check('approx', '0.8 +/- 0.05', '0.76').pass, true);
  assert.equal(check('approx', '100 ± 5%', 104.9).pass, true);
  assert.equal(check('approx', '100 ± 5%', 94).pass, false);
  assert.equal(check('approx', '-1', -1).pass, true);
  assert.equal(check('approx', '0.3', 0.1 + 0.2).pass, true, 'rounding noise is not a failure');
  assert.equal(check('approx', '0.3', 0.31).pass, false);
  assert.match(check('approx', '1', 'abc').message!, /expected a number 1, got "abc"/);
  assert.match(expectationProblem('approx', 'about 3')!, /not a number with an optional tolerance/);
  assert.equal(expectationProblem('approx', 0.5), undefined);
});

test('a row: empty cells set nothing, a failed row fails its assertions, pass rates add up', () => {
  const values = { review: 'x', 'expect:sentiment': 'positive', 'expect_approx:score': '1 ± 0.1', 'expect_contains:summary': '' };
  const passed = evaluateExpectations(values, { sentiment: 'positive', score: 0.95, summary: 's' });
  assert.deepEqual(
    passed.map((r) => [r.column, r.pass]),
    [
      ['expect:sentiment', true],
      ['expect_approx:score', true],
    ],
  );
  const failedRow = evaluateExpectations(values, null);
  assert.deepEqual(
    failedRow.map((r) => r.message),
    ['no outputs: the row failed', 'no outputs: the row failed'],
  );
  const wrong = evaluateExpectations(values, { sentiment: 'negative', score: 0.95 });
  assert.deepEqual(
    wrong.map((r) => r.pass),
    [false, true],
  );
  assert.deepEqual(
    evaluateExpectations({ 'expect_regex:a': '(' }, { a: 'x' })[0]!.message?.startsWith('invalid expectation: not a valid regular expression'),
    true,
  );
  assert.deepEqual(invalidExpectation({ 'expect_regex:a': '(' })?.column, 'expect_regex:a');
  assert.equal(invalidExpectation(values), undefined);

  const tally = emptyTally();
  for (const results of [passed, failedRow, wrong, []]) tallyRow(tally, results);
  assert.deepEqual(tally.rows, { passed: 1, total: 3 });
  assert.deepEqual(tally.assertions, { passed: 3, total: 6 });
  assert.deepEqual(tally.byColumn.get('expect:sentiment'), { passed: 1, total: 3 });
  assert.equal(formatPassRate(tally.assertions), '3/6 (50.0%)');
});
