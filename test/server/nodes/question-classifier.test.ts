/**
 * The question classifier on the deterministic stand-in: the class is chosen from the query's
 * words, and the run follows the edge whose sourceHandle is that class's id, as on Dify.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickClass } from '../../../src/server/engine/nodes/question-classifier.js';
import { end, runNodes, start } from '../../helpers/engine-run.js';

const classes = [
  { id: 'c1', name: 'Billing' },
  { id: 'c2', name: 'Technical support' },
  { id: 'c3', name: 'Other' },
];
const nodes = [
  start('q'),
  { id: 'qc', type: 'question-classifier', query_variable_selector: ['start', 'q'], classes, model: { provider: 'openai', name: 'gpt-4o', mode: 'chat' } },
  { id: 'billing', type: 'template-transform', template: 'to billing', variables: [] },
  { id: 'tech', type: 'template-transform', template: 'to tech', variables: [] },
  {
    id: 'agg',
    type: 'variable-aggregator',
    variables: [
      ['billing', 'output'],
      ['tech', 'output'],
    ],
  },
  end({ routed: ['agg', 'output'], cls: ['qc', 'class_name'] }),
];
const edges: [string, string, string?][] = [
  ['start', 'qc'],
  ['qc', 'billing', 'c1'],
  ['qc', 'tech', 'c2'],
  ['qc', 'agg', 'c3'],
  ['billing', 'agg'],
  ['tech', 'agg'],
  ['agg', 'end'],
];

describe('question-classifier', () => {
  test('routes by the chosen class id; outputs class_name, class_id and usage', async () => {
    const run = await runNodes(nodes, { q: 'My printer has a technical fault' }, edges);
    assert.deepEqual(run.finished.outputs, { routed: 'to tech', cls: 'Technical support' });
    const data = run.finishedOf('qc');
    assert.deepEqual(data['inputs'], { query: 'My printer has a technical fault' });
    const outputs = data['outputs'] as Record<string, unknown>;
    assert.deepEqual([outputs['class_name'], outputs['class_id']], ['Technical support', 'c2']);
    assert.ok((outputs['usage'] as { total_tokens: number }).total_tokens > 0);
    assert.equal((data['process_data'] as { model_name: string }).model_name, 'gpt-4o');
    assert.ok(!run.events.some((e) => e.event === 'node_started' && e.data.node_id === 'billing'), 'the other branches do not run');
  });

  test('a query naming a class goes there; nothing recognisable goes to the first class', async () => {
    assert.deepEqual((await runNodes(nodes, { q: 'question about BILLING' }, edges)).finished.outputs, { routed: 'to billing', cls: 'Billing' });
    assert.equal(pickClass('zzz', classes).id, 'c1');
    assert.equal(pickClass('anything other', classes).id, 'c3');
  });
});
