/** The DSL engine: each if-else operator, Jinja2 as Dify renders it, branching and events, load-time errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { DslError, parseWorkflow, startServer } from '../../src/server/index.js';
import { evaluate } from '../../src/server/engine/nodes/if-else.js';
import { renderJinja } from '../../src/server/engine/nodes/template-transform.js';

describe('if-else operators (research §7.3)', () => {
  const check = (operator: string, actual: unknown, value: unknown) =>
    evaluate({ variable_selector: ['n', 'v'], comparison_operator: operator, value } as never, actual);
  const cases: [string, unknown, unknown, boolean][] = [
    ['contains', 'hello world', 'lo w', true],
    ['contains', ['a', 'b'], 'b', true],
    ['contains', 'hello', 'x', false],
    ['not contains', 'hello', 'x', true],
    ['not contains', ['a'], 'a', false],
    ['not contains', null, 'a', true],
    ['start with', 'hello', 'he', true],
    ['start with', 'hello', 'lo', false],
    ['end with', 'hello', 'lo', true],
    ['end with', 'hello', 'he', false],
    ['is', 'yes', 'yes', true],
    ['is', 'yes', 'Yes', false],
    ['is', true, 'true', true],
    ['is not', 'yes', 'no', true],
    ['is not', 'yes', 'yes', false],
    ['empty', '', undefined, true],
    ['empty', [], undefined, true],
    ['empty', null, undefined, true],
    ['empty', 'x', undefined, false],
    ['not empty', 'x', undefined, true],
    ['not empty', '', undefined, false],
    ['in', 'b', ['a', 'b'], true],
    ['in', 'c', ['a', 'b'], false],
    ['not in', 'c', ['a', 'b'], true],
    ['not in', 'a', ['a', 'b'], false],
    ['all of', ['a', 'b', 'c'], ['a', 'c'], true],
    ['all of', ['a'], ['a', 'c'], false],
    ['=', 5, '5', true],
    ['=', '5.0', 5, true],
    ['=', 5, 6, false],
    ['≠', 5, '6', true],
    ['≠', 5, 5, false],
    ['>', 6, '5', true],
    ['>', 5, 5, false],
    ['<', 4, '5', true],
    ['<', 5, 5, false],
    ['≥', 5, '5', true],
    ['≥', 4, 5, false],
    ['≤', 5, '5', true],
    ['≤', 6, 5, false],
    ['null', null, undefined, true],
    ['null', 0, undefined, false],
    ['not null', 0, undefined, true],
    ['not null', null, undefined, false],
    ['exists', 'x', undefined, true],
    ['exists', undefined, undefined, false],
    ['not exists', undefined, undefined, true],
    ['not exists', 'x', undefined, false],
  ];
  for (const [operator, actual, value, expected] of cases) {
    test(`${JSON.stringify(actual)} ${operator} ${JSON.stringify(value ?? null)} → ${expected}`, () => assert.equal(check(operator, actual, value), expected));
  }
  test('a number comparison against text that is not a number is a node error', () => {
    assert.throws(() => check('>', 'abc', 5), /Invalid actual value type: number/);
  });
});

describe('Jinja2 in template-transform, as Dify renders it', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      '{% for item in items %}{{ loop.index }}. {{ item.name | upper }}{% if not loop.last %}, {% endif %}{% endfor %}',
      { items: [{ name: 'a' }, { name: 'b' }] },
      '1. A, 2. B',
    ],
    ['{% if score >= 4 %}good{% elif score >= 2 %}ok{% else %}bad{% endif %}', { score: 3 }, 'ok'],
    ['{{ tags | join(", ") }} ({{ tags | length }})', { tags: ['x', 'y'] }, 'x, y (2)'],
    ['{{ missing | default("n/a") }}|{{ text | trim | title }}|{{ text | replace("o", "0") }}', { text: '  hello world ' }, 'n/a|Hello World|  hell0 w0rld '],
    [
      '{{ items | map(attribute="name") | join("/") }}|{{ items | selectattr("ok") | list | length }}',
      {
        items: [
          { name: 'a', ok: true },
          { name: 'b', ok: false },
        ],
      },
      'a/b|1',
    ],
    ['{{ obj | tojson }}', { obj: { a: [1, '日本'] } }, '{"a": [1, "日本"]}'],
    [
      '{{ name | lower | capitalize }} {{ 7 // 2 }} {{ 7 % 3 }} {{ "a" ~ "b" }} {{ text.strip().split(",")[1] }}',
      { name: 'BOB', text: ' a,b ' },
      'Bob 3 1 ab b',
    ],
    ['{% for i in range(3) %}{{ i }}{% endfor %}', {}, '012'],
    // Jinja2's defaults (no trim_blocks/lstrip_blocks): the newline after a block tag stays.
    ['{% for k, v in d.items() %}\n{{ k }}={{ v }}\n{% endfor %}\n', { d: { a: 1, b: 2 } }, '\na=1\n\nb=2\n'],
    ['  {%- if true %}\nyes\n  {%- endif %}', {}, '\nyes'],
  ];
  for (const [template, variables, expected] of cases) {
    test(JSON.stringify(template), () => assert.equal(renderJinja(template, variables), expected));
  }
  test('an unknown filter is a node error naming it', () => {
    assert.throws(() => renderJinja('{{ x | nosuch }}', { x: 'a' }), /Failed to render template: .*nosuch/);
  });
});

/** A Dify app export (DSL 0.3) around a graph; edges as [source, target, sourceHandle]. */
function appDsl(name: string, nodes: object[], edges: [string, string, string?][]): string {
  const graphEdges = edges.map(([source, target, sourceHandle = 'source']) => ({
    id: `${source}-${target}`,
    source,
    sourceHandle,
    target,
    targetHandle: 'target',
  }));
  return stringify({
    app: { name, mode: 'workflow', description: '' },
    kind: 'app',
    version: '0.3.1',
    workflow: { features: {}, graph: { nodes, edges: graphEdges } },
  });
}

/** start(kind, n) → if-else (case big: n > 10 and kind is "x"; case small: n < 0 or kind empty; ELSE) → three templates → aggregator → end. */
function branchingWorkflow(): string {
  const template = (id: string, text: string) => ({
    id,
    data: { type: 'template-transform', title: id, template: text, variables: [{ variable: 'n', value_selector: ['start', 'n'] }] },
  });
  return appDsl(
    'branching',
    [
      {
        id: 'start',
        data: {
          type: 'start',
          title: 'Start',
          variables: [
            { variable: 'kind', type: 'text-input', required: false, label: 'kind' },
            { variable: 'n', type: 'number', required: true, label: 'n' },
          ],
        },
      },
      {
        id: 'route',
        data: {
          type: 'if-else',
          title: 'Route',
          cases: [
            {
              case_id: 'big',
              logical_operator: 'and',
              conditions: [
                { variable_selector: ['start', 'n'], comparison_operator: '>', value: '10' },
                { variable_selector: ['start', 'kind'], comparison_operator: 'is', value: 'x' },
              ],
            },
            {
              case_id: 'small',
              logical_operator: 'or',
              conditions: [
                { variable_selector: ['start', 'n'], comparison_operator: '<', value: '0' },
                { variable_selector: ['start', 'kind'], comparison_operator: 'empty' },
              ],
            },
          ],
        },
      },
      template('t_big', 'big {{ n }}'),
      template('t_small', 'small {{ n }}'),
      template('t_else', 'other {{ n }}'),
      {
        id: 'merge',
        data: {
          type: 'variable-aggregator',
          title: 'Merge',
          output_type: 'string',
          variables: [
            ['t_big', 'output'],
            ['t_small', 'output'],
            ['t_else', 'output'],
          ],
        },
      },
      { id: 'end', data: { type: 'end', title: 'End', outputs: [{ variable: 'answer', value_selector: ['merge', 'output'] }] } },
    ],
    [
      ['start', 'route'],
      ['route', 't_big', 'big'],
      ['route', 't_small', 'small'],
      ['route', 't_else', 'false'],
      ['t_big', 'merge'],
      ['t_small', 'merge'],
      ['t_else', 'merge'],
      ['merge', 'end'],
    ],
  );
}

describe('branching and events', () => {
  test('cases in order, and/or, ELSE; untaken branches emit nothing; index 1 and no predecessor, as Dify 1.13 sends', async () => {
    const server = await startServer({ workflow: branchingWorkflow(), port: 0 });
    try {
      const run = async (inputs: Record<string, unknown>) => {
        const response = await fetch(`${server.baseURL}/workflows/run`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ inputs, response_mode: 'streaming', user: 'dsl' }),
        });
        const events = (await response.text())
          .split('\n\n')
          .filter((frame) => frame.startsWith('data: '))
          .map((frame) => JSON.parse(frame.slice(6)) as { event: string; data: Record<string, unknown> });
        return { events, outputs: events.at(-1)!.data.outputs as { answer: string } };
      };
      assert.deepEqual((await run({ kind: 'x', n: 11 })).outputs, { answer: 'big 11' });
      assert.deepEqual((await run({ kind: 'y', n: 11 })).outputs, { answer: 'other 11' }, 'and: both must hold');
      assert.deepEqual((await run({ kind: '', n: 5 })).outputs, { answer: 'small 5' }, 'or: one is enough');
      const { events } = await run({ kind: 'z', n: -1 });
      const started = events.filter((e) => e.event === 'node_started').map((e) => [e.data.node_id, e.data.index, e.data.predecessor_node_id]);
      assert.deepEqual(started, [
        ['start', 1, null],
        ['route', 1, null],
        ['t_small', 1, null],
        ['merge', 1, null],
        ['end', 1, null],
      ]);
      assert.equal(events.at(-1)!.event, 'workflow_finished');
      assert.equal(events.at(-1)!.data.total_steps, 5);
    } finally {
      await server.close();
    }
  });

  test('an unsupported node type is refused at load time, naming the node, its type and what is supported', () => {
    const yaml = branchingWorkflow().replace('type: variable-aggregator', 'type: knowledge-retrieval');
    assert.throws(
      () => parseWorkflow(yaml),
      (error: Error) => {
        assert.ok(error instanceof DslError);
        assert.match(
          error.message,
          /node merge \(knowledge-retrieval "Merge"\): node type "knowledge-retrieval" is not supported by the local server \(supported: start, end, template-transform, if-else/,
        );
        return true;
      },
    );
  });

  test('DSL 0.6.0 (what Dify 1.13 imports and exports) loads; a version past 0.6 is refused naming it', () => {
    const withVersion = (version: string) => branchingWorkflow().replace(/^version: .*$/m, `version: ${version}`);
    assert.match(withVersion('0.6.0'), /^version: 0\.6\.0$/m);
    assert.equal(parseWorkflow(withVersion('0.6.0')).name, 'branching');
    assert.equal(parseWorkflow(withVersion("'0.6.0'")).name, 'branching');
    assert.throws(() => parseWorkflow(withVersion('0.7.0')), /DSL version 0\.7\.0 is not supported \(0\.1\.x–0\.6\.x are\)/);
  });
});

/** start(mode) → JavaScript code node → grouped aggregator → end. */
function codeWorkflow(): string {
  const code = `function main({ mode }) {
  if (mode === 'not-dict') return [1, 2];
  if (mode === 'missing') return { label: 'x' };
  if (mode === 'wrong-type') return { label: 'x', count: 'three' };
  return { label: mode.toUpperCase(), count: mode.length };
}`;
  return appDsl(
    'code-and-groups',
    [
      { id: 'start', data: { type: 'start', title: 'Start', variables: [{ variable: 'mode', type: 'text-input', required: true, label: 'mode' }] } },
      {
        id: 'code',
        data: {
          type: 'code',
          title: 'Code',
          code_language: 'javascript',
          code,
          variables: [{ variable: 'mode', value_selector: ['start', 'mode'] }],
          outputs: { label: { type: 'string', children: null }, count: { type: 'number', children: null } },
        },
      },
      {
        id: 'merge',
        data: {
          type: 'variable-aggregator',
          title: 'Merge',
          output_type: 'string',
          variables: [],
          advanced_settings: {
            group_enabled: true,
            groups: [
              { group_name: 'text', output_type: 'string', variables: [['code', 'label']] },
              { group_name: 'size', output_type: 'number', variables: [['code', 'count']] },
            ],
          },
        },
      },
      {
        id: 'end',
        data: {
          type: 'end',
          title: 'End',
          outputs: [
            { variable: 'label', value_selector: ['merge', 'text', 'output'] },
            { variable: 'count', value_selector: ['merge', 'size', 'output'] },
          ],
        },
      },
    ],
    [
      ['start', 'code'],
      ['code', 'merge'],
      ['merge', 'end'],
    ],
  );
}

describe('code outputs and aggregator groups', () => {
  test("declared outputs are checked with Dify's messages; groups aggregate separately", async () => {
    const server = await startServer({ workflow: codeWorkflow(), port: 0 });
    try {
      const run = async (mode: string) => {
        const response = await fetch(`${server.baseURL}/workflows/run`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ inputs: { mode }, response_mode: 'blocking', user: 'dsl' }),
        });
        return ((await response.json()) as { data: { status: string; outputs: unknown; error: string | null } }).data;
      };
      const ok = await run('hello');
      assert.equal(ok.status, 'succeeded');
      assert.deepEqual(ok.outputs, { label: 'HELLO', count: 5 });
      for (const [mode, message] of [
        ['not-dict', 'Output must be a dict, got list instead.'],
        ['missing', 'Output count is missing.'],
        ['wrong-type', 'Output count must be a number, got str instead.'],
      ] as const) {
        const failed = await run(mode);
        assert.equal(failed.status, 'failed', mode);
        assert.match(failed.error!, new RegExp(message.replace(/[.()]/g, '\\$&')), mode);
      }
    } finally {
      await server.close();
    }
  });
});
