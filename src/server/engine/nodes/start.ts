/** Start: the user inputs plus the sys.* variables, as both its inputs and outputs. */
import type { InputVariable } from '../../../protocol/index.js';
import { listOf, type Fail } from '../../dsl/parse-helpers.js';
import type { StartNode } from '../../dsl/types.js';
import { defineNode } from './kind.js';

const INPUT_TYPES = ['text-input', 'paragraph', 'select', 'number', 'checkbox', 'json_object', 'file', 'file-list', 'external_data_tool'];

export const startNode = defineNode<StartNode>({
  types: ['start'],
  quick: true,
  parse: (data, fail) => ({ variables: listOf(data['variables']).map((v) => parseVariable(v, fail)) }),
  selectors: () => [],
  run: (_node, ctx) => {
    // The start node's values carry sys.timestamp too (workflow_started's inputs do not).
    const values = { ...ctx.runInputs, 'sys.timestamp': Math.floor(Date.now() / 1000) };
    return { inputs: values, outputs: values };
  },
});

function parseVariable(raw: Record<string, unknown>, fail: Fail): InputVariable {
  if (typeof raw['variable'] !== 'string' || raw['variable'] === '') fail('an input variable has no name');
  const type = String(raw['type'] ?? 'text-input');
  if (!INPUT_TYPES.includes(type)) fail(`input variable ${String(raw['variable'])} has unknown type "${type}"`);
  return { ...(raw as unknown as InputVariable), label: String(raw['label'] ?? raw['variable']), type: type as InputVariable['type'] };
}
