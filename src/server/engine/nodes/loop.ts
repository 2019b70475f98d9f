/**
 * Loop: runs the nodes inside up to loop_count times, over loop variables that assigners
 * inside can change. It stops early when its break conditions hold (checked before the
 * first round and after each) or a loop-end node ran; outputs are the loop variables plus
 * loop_round.
 */
import { isObject, listOf, text, type Fail } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import type { VariablePool } from '../variable-pool.js';
import { checkConditions, parseConditions, type Condition } from './conditions.js';
import { defineNode } from './kind.js';

interface LoopVariable {
  label: string;
  var_type: string;
  value_type: 'constant' | 'variable';
  value: unknown;
}

export interface LoopNode extends NodeBase {
  type: 'loop';
  loop_count: number;
  break_conditions: Condition[];
  logical_operator: 'and' | 'or';
  loop_variables: LoopVariable[];
  start_node_id: string;
}

export const loopNode = defineNode<LoopNode>({
  types: ['loop'],
  container: 'loop',
  parse: (data, fail) => ({
    loop_count: Math.max(0, Math.floor(Number(data['loop_count'] ?? 10))),
    break_conditions: parseConditions(data['break_conditions'], fail),
    logical_operator: data['logical_operator'] === 'or' ? 'or' : 'and',
    loop_variables: listOf(data['loop_variables']).map((v) => parseLoopVariable(v, fail)),
    start_node_id: text(data['start_node_id']) || fail('no start_node_id'),
  }),
  selectors: (node) => node.loop_variables.filter((v) => v.value_type === 'variable').map((v) => v.value as Selector),
  describeStart: (node, ctx) => ({ inputs: { loop_count: node.loop_count, ...initialValues(node, ctx.pool) }, metadata: { loop_length: node.loop_count } }),
  run: (node, ctx) => runLoop(node, ctx),
});

async function runLoop(node: LoopNode, ctx: NodeContext): Promise<NodeResult> {
  const initial = initialValues(node, ctx.pool);
  const loopPool = ctx.pool.child();
  loopPool.setVariables(node.id, initial);
  const loopEnds = ctx
    .innerNodes(node.id)
    .filter((inner) => inner.type === 'loop-end')
    .map((inner) => inner.id);
  const outputs: Record<string, unknown> = {};
  const durations: Record<string, number> = {};
  const variableMap: Record<string, Record<string, unknown>> = {};
  let lastPool = loopPool;
  const breakHolds = () => node.break_conditions.length > 0 && checkConditions(node.break_conditions, node.logical_operator, lastPool).matched;
  let broke = breakHolds();
  const rounds = broke ? 0 : node.loop_count;
  for (let index = 0; index < rounds; index++) {
    const started = Date.now();
    const pool = loopPool.child();
    await ctx.runInner({ startNodeId: node.start_node_id, pool, scope: { iterationId: null, loopId: node.id } });
    durations[String(index)] = (Date.now() - started) / 1000;
    lastPool = pool;
    const values: Record<string, unknown> = {};
    for (const variable of node.loop_variables) values[variable.label] = pool.get([node.id, variable.label]) ?? null;
    variableMap[String(index)] = values;
    Object.assign(outputs, values, { loop_round: index + 1 });
    if (loopEnds.some((id) => pool.hasOwn(id))) break;
    if ((broke = breakHolds())) break;
    if (index + 1 < rounds) ctx.nextRound(index + 1, {});
  }
  return {
    inputs: { loop_count: node.loop_count, ...initial },
    outputs,
    values: { ...initial, ...outputs },
    metadata: {
      total_tokens: 0,
      total_price: '0.0',
      currency: 'USD',
      completed_reason: broke ? 'loop_break' : 'loop_completed',
      loop_duration_map: durations,
      loop_variable_map: variableMap,
    },
    steps: rounds,
  };
}

function initialValues(node: LoopNode, pool: VariablePool): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const variable of node.loop_variables) {
    const value = variable.value_type === 'variable' ? pool.get(variable.value as Selector) : constantValue(variable);
    if (value === undefined || value === null) throw new NodeError(`Invalid value for loop variable ${variable.label}`, 'LoopNodeError');
    values[variable.label] = value;
  }
  return values;
}

/** Constants arrive as typed in the editor: numbers and lists may be JSON text. */
function constantValue(variable: LoopVariable): unknown {
  const { var_type: type, value } = variable;
  if (typeof value !== 'string') return value;
  if (type === 'number') {
    const number = Number(value);
    if (value.trim() === '' || Number.isNaN(number)) throw new NodeError(`Invalid value for loop variable ${variable.label}`, 'LoopNodeError');
    return number;
  }
  if (type === 'boolean') return value === 'true';
  if (type.startsWith('array') || type === 'object') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new NodeError(`Invalid value for loop variable ${variable.label}`, 'LoopNodeError');
    }
  }
  return value;
}

function parseLoopVariable(raw: Record<string, unknown>, fail: Fail): LoopVariable {
  const label = text(raw['label']) || fail('a loop variable has no label');
  const valueType = raw['value_type'] === 'variable' ? 'variable' : 'constant';
  if (valueType === 'variable' && (!Array.isArray(raw['value']) || raw['value'].length < 2)) fail(`loop variable ${label} refers to no variable`);
  return { label, var_type: text(raw['var_type'], 'string'), value_type: valueType, value: isObject(raw['value']) ? { ...raw['value'] } : raw['value'] };
}
