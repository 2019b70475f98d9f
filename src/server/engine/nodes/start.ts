import type { StartNode } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';

/** Start: the user inputs plus the sys.* variables, as both its inputs and outputs. */
export function runStart(_node: StartNode, _ctx: NodeContext, startValues: Record<string, unknown>): NodeResult {
  return { inputs: startValues, outputs: startValues };
}
