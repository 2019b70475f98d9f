/**
 * List operator: filters a list (string/number conditions, or on a key of objects and
 * files), takes the Nth item (extract_by, 1-based), orders it and keeps the first `size`
 * items, in Dify's order of steps. Outputs result, first_record and last_record.
 */
import { isObject, selector, text } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import { evaluate } from './conditions.js';
import { defineNode } from './kind.js';

export interface ListOperatorNode extends NodeBase {
  type: 'list-operator';
  variable: Selector;
  filter: { key: string; comparison_operator: string; value: unknown }[] | undefined;
  extractSerial: string | undefined;
  order: { key: string; descending: boolean } | undefined;
  limit: number | undefined;
}

const section = (data: Record<string, unknown>, name: string): Record<string, unknown> | undefined => {
  const value = data[name];
  return isObject(value) && value['enabled'] === true ? value : undefined;
};

export const listOperatorNode = defineNode<ListOperatorNode>({
  types: ['list-operator'],
  quick: true,
  parse: (data, fail) => {
    const filter = section(data, 'filter_by');
    const extract = section(data, 'extract_by');
    const order = section(data, 'order_by');
    const limit = section(data, 'limit');
    return {
      variable: selector(data['variable'], fail),
      filter:
        filter &&
        (Array.isArray(filter['conditions']) ? filter['conditions'] : []).filter(isObject).map((c) => ({
          key: text(c['key']),
          comparison_operator: text(c['comparison_operator'], 'contains'),
          value: c['value'] ?? '',
        })),
      extractSerial: extract && text(extract['serial'], '1'),
      order: order && { key: text(order['key']), descending: order['value'] === 'desc' },
      limit: limit && Number(limit['size'] ?? -1),
    };
  },
  selectors: (node) => [node.variable],
  run: (node, ctx) => runListOperator(node, ctx),
});

function runListOperator(node: ListOperatorNode, ctx: NodeContext): NodeResult {
  const value = ctx.pool.get(node.variable);
  if (value === undefined) throw new NodeError(`Variable not found for selector: ${JSON.stringify(node.variable)}`, 'VariableNotFoundError');
  if (!Array.isArray(value))
    throw new NodeError(`Variable ${JSON.stringify(node.variable)} is not an array type, actual type: ${typeof value}`, 'InvalidArrayTypeError');
  let list: unknown[] = value;
  const field = (item: unknown, key: string) => (key && isObject(item) ? item[key] : item);
  for (const condition of node.filter ?? []) {
    const expected = typeof condition.value === 'string' ? ctx.pool.renderReferences(condition.value) : condition.value;
    list = list.filter((item) =>
      evaluate({ variable_selector: node.variable, comparison_operator: condition.comparison_operator, value: expected }, field(item, condition.key)),
    );
  }
  if (node.extractSerial !== undefined) {
    const serial = Number.parseInt(ctx.pool.renderReferences(node.extractSerial), 10);
    if (!(serial >= 1)) throw new NodeError(`Invalid serial index: must be >= 1, got ${serial}`, 'InvalidKeyError');
    if (serial > list.length) throw new NodeError(`Invalid serial index: must be <= ${list.length}, got ${serial}`, 'InvalidKeyError');
    list = [list[serial - 1]];
  }
  if (node.order) {
    const { key, descending } = node.order;
    list = [...list].sort((a, b) => compare(field(a, key), field(b, key)) * (descending ? -1 : 1));
  }
  if (node.limit !== undefined && node.limit >= 0) list = list.slice(0, node.limit);
  return {
    inputs: { variable: value },
    processData: { variable: value },
    outputs: { result: list, first_record: list[0] ?? null, last_record: list.at(-1) ?? null },
  };
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '') < String(b ?? '') ? -1 : String(a ?? '') > String(b ?? '') ? 1 : 0;
}
