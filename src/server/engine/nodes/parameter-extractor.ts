/**
 * Parameter extractor on the deterministic LLM stand-in. The "model" reads each parameter from
 * the query: `name: value` / `name = value` / `name is value` first; else a number parameter
 * takes the next number in the text, a select the first option mentioned, a bool a yes/true or
 * no/false word. Outputs every parameter plus `__is_success` (1/0), `__reason` (null, or the
 * missing required parameters) and `__usage`, as Dify's node; a missing value is its type's
 * empty value ("" / 0 / false / []).
 */
import { listOf, selector, text } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';
import { parseModel, usageOf, type LlmNode } from './llm.js';

interface Parameter {
  name: string;
  type: string;
  description: string;
  required: boolean;
  options: string[];
}

export interface ParameterExtractorNode extends NodeBase {
  type: 'parameter-extractor';
  query: Selector;
  parameters: Parameter[];
  instruction: string;
  model: LlmNode['model'];
}

export const parameterExtractorNode = defineNode<ParameterExtractorNode>({
  types: ['parameter-extractor'],
  parse: (data, fail) => ({
    query: selector(data['query'], fail),
    parameters: listOf(data['parameters']).map((p) => ({
      name: text(p['name']) || fail('a parameter has no name'),
      type: text(p['type'], 'string'),
      description: text(p['description']),
      required: p['required'] === true,
      options: Array.isArray(p['options']) ? p['options'].map((o) => text(o)) : [],
    })),
    instruction: text(data['instruction']),
    model: parseModel(data),
  }),
  selectors: (node) => [node.query],
  run: (node, ctx) => extract(node, ctx),
});

function extract(node: ParameterExtractorNode, ctx: NodeContext): NodeResult {
  const started = Date.now();
  const query = text(ctx.pool.get(node.query));
  const numbers = (query.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const parameter of node.parameters) {
    const found = readParameter(parameter, query, numbers);
    if (found === undefined && parameter.required) missing.push(parameter.name);
    values[parameter.name] = found ?? emptyValue(parameter.type);
  }
  const system = `Extract these parameters from the text: ${JSON.stringify(node.parameters.map(({ name, type, description }) => ({ name, type, description })))}.${node.instruction ? ` ${ctx.pool.renderReferences(node.instruction)}` : ''}`;
  const prompts = [
    { role: 'system', text: system },
    { role: 'user', text: query },
  ];
  const { usage, metadata } = usageOf(prompts, JSON.stringify(values), ctx, started);
  const reason = missing.length > 0 ? `Missing required parameter(s): ${missing.join(', ')}` : null;
  return {
    inputs: { query },
    outputs: { ...values, __is_success: reason ? 0 : 1, __reason: reason, __usage: usage },
    processData: {
      model_mode: node.model.mode ?? 'chat',
      prompts,
      usage,
      function: {},
      tool_call: null,
      model_provider: node.model.provider ?? 'local',
      model_name: node.model.name ?? 'difyrun-echo',
    },
    metadata,
  };
}

function readParameter(parameter: Parameter, query: string, numbers: number[]): unknown {
  const escaped = parameter.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const labelled = new RegExp(`\\b${escaped}\\s*(?::|=|\\bis\\b)\\s*([^,;\\n]+?)\\s*(?:[,;\\n]|\\.?$)`, 'i').exec(query)?.[1];
  switch (parameter.type) {
    case 'number': {
      const value = labelled !== undefined ? Number(labelled) : numbers.shift();
      return value === undefined || Number.isNaN(value) ? undefined : value;
    }
    case 'bool':
    case 'boolean': {
      const word = (labelled ?? query).toLowerCase();
      if (/\b(yes|true)\b/.test(word)) return true;
      return /\b(no|false)\b/.test(word) ? false : undefined;
    }
    case 'select':
      return parameter.options.find((o) => (labelled ?? query).toLowerCase().includes(o.toLowerCase()));
    default:
      if (parameter.type.startsWith('array')) {
        const items = labelled?.split(/\s*(?:,|\band\b)\s*/).filter(Boolean);
        return parameter.type === 'array[number]' ? items?.map(Number).filter((n) => !Number.isNaN(n)) : items;
      }
      return labelled;
  }
}

function emptyValue(type: string): unknown {
  if (type === 'number') return 0;
  if (type === 'bool' || type === 'boolean') return false;
  return type.startsWith('array') ? [] : '';
}
