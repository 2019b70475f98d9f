import type { EndNode } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';

/** End: each output is the value at its selector (null when missing). */
export function runEnd(node: EndNode, ctx: NodeContext): NodeResult {
  const outputs: Record<string, unknown> = {};
  for (const output of node.outputs) outputs[output.variable] = ctx.pool.get(output.value_selector) ?? null;
  return { inputs: outputs, outputs };
}
