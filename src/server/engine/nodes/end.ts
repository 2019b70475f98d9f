/** End: each output is the value at its selector (null when missing). The engine streams them as they appear. */
import { listOf, selector } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { defineNode } from './kind.js';

export interface EndNode extends NodeBase {
  type: 'end';
  outputs: { variable: string; value_selector: Selector; value_type?: string }[];
}

export const endNode = defineNode<EndNode>({
  types: ['end'],
  quick: true,
  parse: (data, fail) => ({
    outputs: listOf(data['outputs']).map((o) => ({
      variable: String(o['variable'] ?? fail('an output has no variable name')),
      value_selector: selector(o['value_selector'], fail),
      ...(typeof o['value_type'] === 'string' ? { value_type: o['value_type'] } : {}),
    })),
  }),
  selectors: (node) => node.outputs.map((o) => o.value_selector),
  run: (node, ctx) => {
    const outputs: Record<string, unknown> = {};
    for (const output of node.outputs) outputs[output.variable] = ctx.pool.get(output.value_selector) ?? null;
    return { inputs: outputs, outputs };
  },
});

export function isEndNode(node: NodeBase): node is EndNode {
  return node.type === 'end';
}
