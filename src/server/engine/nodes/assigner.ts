/**
 * Variable assigner (v2 `items`, and v1's single assignment): changes loop variables (the
 * only variables a workflow app can write) with Dify's operations. It outputs nothing.
 */
import { isObject, listOf, optionalSelector, selector, text } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';

interface Assignment {
  variable_selector: Selector;
  input_type: 'variable' | 'constant';
  operation: string;
  value: unknown;
}

export interface AssignerNode extends NodeBase {
  type: 'assigner';
  items: Assignment[];
}

const OPERATIONS = ['over-write', 'clear', 'append', 'extend', 'set', '+=', '-=', '*=', '/=', 'remove-first', 'remove-last'];

export const assignerNode = defineNode<AssignerNode>({
  types: ['assigner'],
  quick: true,
  parse: (data, fail) => {
    if (!Array.isArray(data['items'])) {
      // v1: one target, written from one variable.
      const target = selector(data['assigned_variable_selector'], fail);
      const source = optionalSelector(data['input_variable_selector'], fail);
      const operation = text(data['write_mode'], 'over-write');
      return { items: [{ variable_selector: target, input_type: 'variable', operation, value: source ?? null }] };
    }
    const items = listOf(data['items']).map((item): Assignment => {
      const operation = text(item['operation'], 'over-write');
      if (!OPERATIONS.includes(operation)) fail(`operation "${operation}" is not one of ${OPERATIONS.join(', ')}`);
      const inputType = item['input_type'] === 'variable' ? 'variable' : 'constant';
      return {
        variable_selector: selector(item['variable_selector'], fail),
        input_type: inputType,
        operation,
        value: inputType === 'variable' ? (optionalSelector(item['value'], fail) ?? null) : item['value'],
      };
    });
    return { items };
  },
  selectors: (node) =>
    node.items.flatMap((item) => [item.variable_selector, ...(item.input_type === 'variable' && Array.isArray(item.value) ? [item.value as Selector] : [])]),
  run: (node, ctx) => runAssigner(node, ctx),
});

function runAssigner(node: AssignerNode, ctx: NodeContext): NodeResult {
  const updated: Record<string, unknown> = {};
  for (const item of node.items) {
    const current = ctx.pool.get(item.variable_selector);
    if (current === undefined) throw new NodeError(`Variable ${JSON.stringify(item.variable_selector)} not found`, 'VariableNotFoundError');
    const value = item.input_type === 'variable' && Array.isArray(item.value) ? ctx.pool.get(item.value as Selector) : item.value;
    if (item.input_type === 'variable' && value === undefined && !['clear', 'remove-first', 'remove-last'].includes(item.operation)) {
      throw new NodeError(`Variable ${JSON.stringify(item.value)} not found`, 'VariableNotFoundError');
    }
    const next = apply(item.operation, current, value);
    if (!ctx.pool.assign(item.variable_selector, next)) {
      throw new NodeError(`Variable ${JSON.stringify(item.variable_selector)} not found`, 'VariableNotFoundError');
    }
    updated[item.variable_selector.at(-1)!] = next;
  }
  const inputs = {
    ...node.raw,
    items: node.items.map(({ variable_selector, input_type, operation, value }) => ({ variable_selector, input_type, operation, value })),
  };
  return { inputs, outputs: {}, processData: updated };
}

function apply(operation: string, current: unknown, value: unknown): unknown {
  const unsupported = () => new NodeError(`Operation ${operation} is not supported for type ${typeName(current)}`, 'OperationNotSupportedError');
  switch (operation) {
    case 'over-write':
    case 'set':
      return value;
    case 'clear':
      return Array.isArray(current)
        ? []
        : typeof current === 'number'
          ? 0
          : typeof current === 'string'
            ? ''
            : isObject(current)
              ? {}
              : typeof current === 'boolean'
                ? false
                : null;
    case 'append':
      if (!Array.isArray(current)) throw unsupported();
      return [...current, value];
    case 'extend':
      if (!Array.isArray(current) || !Array.isArray(value)) throw unsupported();
      return [...current, ...value];
    case 'remove-first':
    case 'remove-last':
      if (!Array.isArray(current)) throw unsupported();
      return operation === 'remove-first' ? current.slice(1) : current.slice(0, -1);
    default: {
      if (typeof current !== 'number') throw unsupported();
      const operand = Number(value);
      if (typeof value === 'boolean' || Number.isNaN(operand)) throw new NodeError(`Invalid input value ${String(value)}`, 'InvalidInputValueError');
      if (operation === '/=' && operand === 0) throw new NodeError(`Invalid input value ${String(value)}`, 'InvalidInputValueError');
      return operation === '+=' ? current + operand : operation === '-=' ? current - operand : operation === '*=' ? current * operand : current / operand;
    }
  }
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'none' : typeof value;
}
