/** Aggregator: the first non-null value among its selectors, per group when grouped. */
import { isObject, listOf, selector } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import type { VariablePool } from '../variable-pool.js';
import { defineNode } from './kind.js';

export interface AggregatorNode extends NodeBase {
  type: 'variable-aggregator' | 'variable-assigner';
  variables: Selector[];
  groups: { group_name: string; output_type?: string; variables: Selector[] }[] | undefined;
}

export const aggregatorNode = defineNode<AggregatorNode>({
  // 'variable-assigner' is what DSL 0.1 called the aggregator.
  types: ['variable-aggregator', 'variable-assigner'],
  quick: true,
  parse: (data, fail) => {
    const advanced = isObject(data['advanced_settings']) ? data['advanced_settings'] : {};
    const groups = advanced['group_enabled']
      ? listOf(advanced['groups']).map((g) => ({
          group_name: String(g['group_name'] ?? fail('a group has no name')),
          ...(typeof g['output_type'] === 'string' ? { output_type: g['output_type'] } : {}),
          variables: (Array.isArray(g['variables']) ? g['variables'] : []).map((s) => selector(s, fail)),
        }))
      : undefined;
    return { variables: (Array.isArray(data['variables']) ? data['variables'] : []).map((s) => selector(s, fail)), groups };
  },
  selectors: (node) => [...node.variables, ...(node.groups ?? []).flatMap((g) => g.variables)],
  run: (node, ctx) => {
    // The first selector whose variable exists is picked, even when its value is null (an optional input not given).
    if (!node.groups) {
      const found = firstExisting(ctx.pool, node.variables);
      return { inputs: found?.inputs ?? {}, outputs: found ? { output: found.value } : {} };
    }
    const inputs: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = {};
    for (const group of node.groups) {
      const found = firstExisting(ctx.pool, group.variables);
      Object.assign(inputs, found?.inputs);
      outputs[group.group_name] = { output: found ? found.value : null };
    }
    return { inputs, outputs };
  },
});

function firstExisting(pool: VariablePool, selectors: Selector[]): { value: unknown; inputs: Record<string, unknown> } | undefined {
  for (const sel of selectors) {
    const value = pool.get(sel);
    if (value !== undefined) return { value, inputs: { [sel.slice(1).join('.')]: value } };
  }
  return undefined;
}
