import type { AggregatorNode } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';

/** Aggregator: the first non-null value among its selectors, per group when grouped. */
export function runAggregator(node: AggregatorNode, ctx: NodeContext): NodeResult {
  const first = (selectors: string[][]) => {
    for (const selector of selectors) {
      const value = ctx.pool.get(selector);
      if (value !== undefined && value !== null) return value;
    }
    return null;
  };
  if (node.groups) {
    const outputs: Record<string, unknown> = {};
    for (const group of node.groups) outputs[group.group_name] = { output: first(group.variables) };
    return { inputs: null, outputs };
  }
  return { inputs: null, outputs: { output: first(node.variables) } };
}
