/** If/else: the first case whose conditions hold selects the edge with sourceHandle == case_id; none → the ELSE edge ('false'). */
import { listOf, type Fail } from '../../dsl/parse-helpers.js';
import type { NodeBase } from '../../dsl/types.js';
import { checkConditions, conditionModel, parseConditions, type Condition } from './conditions.js';
import type { NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';

export { evaluate } from './conditions.js';

export interface IfElseNode extends NodeBase {
  type: 'if-else';
  cases: { case_id: string; logical_operator: 'and' | 'or'; conditions: Condition[] }[];
}

export const ifElseNode = defineNode<IfElseNode>({
  types: ['if-else'],
  quick: true,
  parse: (data, fail) => ({ cases: parseCases(data, fail) }),
  selectors: (node) => node.cases.flatMap((c) => c.conditions.map((cond) => cond.variable_selector)),
  run: (node, ctx) => {
    // Cases are checked in order until one matches; inputs and process_data cover the cases checked.
    const conditions: unknown[] = [];
    const results: unknown[] = [];
    for (const branch of node.cases) {
      const check = checkConditions(branch.conditions, branch.logical_operator, ctx.pool);
      conditions.push(...check.described);
      const group = { case_id: branch.case_id, logical_operator: branch.logical_operator, conditions: branch.conditions.map(conditionModel) };
      results.push({ group, results: check.outcomes, final_result: check.matched });
      if (check.matched) return outcome(conditions, results, branch.case_id);
    }
    return outcome(conditions, results, 'false');
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

function outcome(conditions: unknown[], results: unknown[], caseId: string): NodeResult {
  const matched = caseId !== 'false';
  return { inputs: { conditions }, outputs: { result: matched, selected_case_id: caseId }, processData: { condition_results: results }, handle: caseId };
}
