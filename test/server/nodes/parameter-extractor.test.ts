/**
 * The parameter extractor on the deterministic stand-in: labelled values, numbers, options and
 * yes/no read from the query; __is_success / __reason / __usage as Dify's node outputs them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { end, runNodes, start } from '../../helpers/engine-run.js';

const extractor = (parameters: Record<string, unknown>[]) => ({
  id: 'pe',
  type: 'parameter-extractor',
  query: ['start', 'q'],
  parameters,
  reasoning_mode: 'prompt',
  model: { provider: 'openai', name: 'gpt-4o', mode: 'chat' },
});

describe('parameter-extractor', () => {
  test('reads labelled values, numbers, options, booleans and lists from the query', async () => {
    const parameters = [
      { name: 'city', type: 'string', required: true },
      { name: 'nights', type: 'number', required: true },
      { name: 'room', type: 'select', options: ['single', 'double'] },
      { name: 'breakfast', type: 'bool' },
      { name: 'guests', type: 'array[string]' },
    ];
    const run = await runNodes([start('q'), extractor(parameters), end({ city: ['pe', 'city'], nights: ['pe', 'nights'], ok: ['pe', '__is_success'] })], {
      q: 'Book a double room, city: Paris, for 3 nights; breakfast yes; guests: Ann and Bob',
    });
    const outputs = run.finishedOf('pe')['outputs'] as Record<string, unknown>;
    assert.deepEqual(
      { ...outputs, __usage: undefined },
      { city: 'Paris', nights: 3, room: 'double', breakfast: true, guests: ['Ann', 'Bob'], __is_success: 1, __reason: null, __usage: undefined },
    );
    assert.ok((outputs['__usage'] as { total_tokens: number }).total_tokens > 0);
    assert.deepEqual(run.finished.outputs, { city: 'Paris', nights: 3, ok: 1 });
  });

  test('a required parameter not found: its empty value, __is_success 0 and the reason', async () => {
    const run = await runNodes(
      [
        start('q'),
        extractor([
          { name: 'city', type: 'string', required: true },
          { name: 'n', type: 'number', required: false },
        ]),
        end({}),
      ],
      { q: 'nothing here' },
    );
    const outputs = run.finishedOf('pe')['outputs'] as Record<string, unknown>;
    assert.deepEqual([outputs['city'], outputs['n'], outputs['__is_success'], outputs['__reason']], ['', 0, 0, 'Missing required parameter(s): city']);
    assert.equal(run.finished.status, 'succeeded');
  });
});
