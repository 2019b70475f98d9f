/**
 * If-else and the variable aggregator report what the real Dify 1.13.2 reports (checked with
 * the differential suite's branch app): if-else's inputs list the evaluated conditions with
 * actual and expected values, process_data one result group per case checked; the
 * aggregator picks the first variable that exists, even when its value is null.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { end, runNodes, start } from '../../helpers/engine-run.js';

const condition = (variable: string, comparison_operator: string, value: string) => ({ variable_selector: ['start', variable], comparison_operator, value });

describe('if-else', () => {
  const ifElse = {
    id: 'if',
    type: 'if-else',
    cases: [
      { case_id: 'both', logical_operator: 'and', conditions: [condition('a', 'is', 'x'), condition('b', 'is', 'y')] },
      { case_id: 'either', logical_operator: 'or', conditions: [condition('a', 'contains', 'z'), condition('b', 'is', 'y')] },
    ],
  };
  const graph = [start('a', 'b'), ifElse, { id: 'yes', type: 'template-transform', template: 'either', variables: [] }, end({ out: ['yes', 'output'] })];
  const edges: [string, string, string?][] = [
    ['start', 'if'],
    ['if', 'yes', 'either'],
    ['yes', 'end'],
  ];

  test('stops evaluating a case at the first condition that decides it, and lists what it evaluated', async () => {
    const run = await runNodes(graph, { a: 'q', b: 'y' }, edges);
    const data = run.finishedOf('if');
    assert.deepEqual(data['inputs'], {
      conditions: [
        { actual_value: 'q', expected_value: 'x', comparison_operator: 'is' },
        { actual_value: 'q', expected_value: 'z', comparison_operator: 'contains' },
        { actual_value: 'y', expected_value: 'y', comparison_operator: 'is' },
      ],
    });
    const results = (
      data['process_data'] as { condition_results: { group: { case_id: string; conditions: unknown[] }; results: boolean[]; final_result: boolean }[] }
    ).condition_results;
    assert.deepEqual(
      results.map((r) => [r.group.case_id, r.results, r.final_result]),
      [
        ['both', [false], false],
        ['either', [false, true], true],
      ],
    );
    assert.deepEqual(results[0]!.group.conditions[0], {
      variable_selector: ['start', 'a'],
      comparison_operator: 'is',
      value: 'x',
      sub_variable_condition: null,
    });
    assert.deepEqual(data['outputs'], { result: true, selected_case_id: 'either' });
    assert.deepEqual(run.finished.outputs, { out: 'either' });
  });

  test('no case matches: the false handle, every case checked', async () => {
    const run = await runNodes(graph, { a: 'q', b: 'n' }, edges);
    assert.deepEqual(run.finishedOf('if')['outputs'], { result: false, selected_case_id: 'false' });
    assert.equal((run.finishedOf('if')['process_data'] as { condition_results: unknown[] }).condition_results.length, 2);
  });
});

describe('variable aggregator', () => {
  const graph = [
    start('fallback', 'query'),
    {
      id: 'agg',
      type: 'variable-aggregator',
      variables: [
        ['start', 'fallback'],
        ['start', 'query'],
      ],
    },
    end({ picked: ['agg', 'output'] }),
  ];

  test('an optional input not given still exists: it is picked, as null', async () => {
    const run = await runNodes(graph, { fallback: null, query: 'q' });
    assert.deepEqual([run.finishedOf('agg')['inputs'], run.finishedOf('agg')['outputs']], [{ fallback: null }, { output: null }]);
    assert.deepEqual(run.finished.outputs, { picked: null });
  });

  test('a variable of a node that never ran is passed over', async () => {
    const nodes = [
      start('a'),
      { id: 'if', type: 'if-else', cases: [{ case_id: 'true', logical_operator: 'and', conditions: [condition('a', 'is', 'x')] }] },
      { id: 'skipped', type: 'template-transform', template: 'never', variables: [] },
      {
        id: 'agg',
        type: 'variable-aggregator',
        variables: [
          ['skipped', 'output'],
          ['start', 'a'],
        ],
      },
      end({ picked: ['agg', 'output'] }),
    ];
    const run = await runNodes(nodes, { a: 'other' }, [
      ['start', 'if'],
      ['if', 'skipped', 'true'],
      ['if', 'agg', 'false'],
      ['skipped', 'agg'],
      ['agg', 'end'],
    ]);
    assert.deepEqual(run.finishedOf('agg')['inputs'], { a: 'other' });
    assert.deepEqual(run.finished.outputs, { picked: 'other' });
  });
});

describe('node_finished', () => {
  test('carries no extras or agent_strategy (node_started does), and process_data {} for nodes without any', async () => {
    const run = await runNodes([start('a'), end({ a: ['start', 'a'] })], { a: 'v' });
    const started = run.events.find((e) => e.event === 'node_started')!.data as unknown as Record<string, unknown>;
    const finished = run.finishedOf('start');
    assert.ok('extras' in started && 'agent_strategy' in started);
    assert.ok(!('extras' in finished) && !('agent_strategy' in finished));
    assert.deepEqual([finished['process_data'], finished['iteration_id'], finished['loop_id']], [{}, null, null]);
  });
});
