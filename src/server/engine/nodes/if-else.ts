/** If/else: the first case whose conditions hold selects the edge with sourceHandle == case_id; none → the ELSE edge ('false'). */
import { listOf, type Fail } from '../../dsl/parse-helpers.js';
import type { NodeBase } from '../../dsl/types.js';
import { checkConditions, describeCondition, parseConditions, type Condition } from './conditions.js';
import { defineNode } from './kind.js';

export { evaluate } from './conditions.js';

export interface IfElseNode extends NodeBase {
  type: 'if-else';
  cases: { case_id: string; logical_operator: 'and' | 'or'; conditions: Condition[] }[];
}

export const ifElseNode = defineNode<IfElseNode>({
  types: ['if-else'],
  parse: (data, fail) => ({ cases: parseCases(data, fail) }),
  selectors: (node) => node.cases.flatMap((c) => c.conditions.map((cond) => cond.variable_selector)),
  run: (node, ctx) => {
    const results: boolean[] = [];
    const inputs = { conditions: node.cases.flatMap((c) => c.conditions.map(describeCondition)) };
    for (const branch of node.cases) {
      const { outcomes, matched } = checkConditions(branch.conditions, branch.logical_operator, ctx.pool);
      results.push(...outcomes);
      if (matched) {
        return { inputs, outputs: { result: true, selected_case_id: branch.case_id }, processData: { condition_results: results }, handle: branch.case_id };
      }
    }
    return { inputs, outputs: { result: false, selected_case_id: 'false' }, processData: { condition_results: results }, handle: 'false' };
  },
});

function parseCases(data: Record<string, unknown>, fail: Fail): IfElseNode['cases'] {
  if (Array.isArray(data['cases'])) {
    return listOf(data['cases']).map((c) => ({
      case_id: String(c['case_id'] ?? c['id'] ?? fail('a case has no case_id')),
      logical_operator: c['logical_operator'] === 'or' ? 'or' : 'and',
      conditions: parseConditions(c['conditions'], fail),
    }));
  }
  // Old single-case form: conditions + logical_operator, branching on 'true'/'false'.
  return [{ case_id: 'true', logical_operator: data['logical_operator'] === 'or' ? 'or' : 'and', conditions: parseConditions(data['conditions'], fail) }];
}
