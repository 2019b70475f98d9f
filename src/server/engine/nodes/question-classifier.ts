/**
 * Question classifier on the deterministic LLM stand-in. The "model" picks the first class
 * whose name appears in the query (case-insensitive), else the first class one of whose words
 * (3+ letters) appears in it, else the first class; the run follows the edge whose
 * sourceHandle is that class's id, as on Dify. Outputs class_name, class_id and usage;
 * process_data the prompts and model, like the llm node.
 */
import { listOf, selector, text } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';
import { parseModel, usageOf, type LlmNode } from './llm.js';

export interface QuestionClassifierNode extends NodeBase {
  type: 'question-classifier';
  query_variable_selector: Selector;
  classes: { id: string; name: string }[];
  instruction: string;
  model: LlmNode['model'];
}

export const questionClassifierNode = defineNode<QuestionClassifierNode>({
  types: ['question-classifier'],
  parse: (data, fail) => {
    const classes = listOf(data['classes']).map((c) => ({ id: text(c['id'] ?? fail('a class has no id')), name: text(c['name']) }));
    if (classes.length === 0) fail('question-classifier has no classes');
    return {
      query_variable_selector: selector(data['query_variable_selector'], fail),
      classes,
      instruction: text(data['instruction'] ?? data['instructions']),
      model: parseModel(data),
    };
  },
  selectors: (node) => [node.query_variable_selector],
  run: (node, ctx) => classify(node, ctx),
});

function classify(node: QuestionClassifierNode, ctx: NodeContext): NodeResult {
  const started = Date.now();
  const query = text(ctx.pool.get(node.query_variable_selector));
  const chosen = pickClass(query, node.classes);
  const system = `Classify the input into one of these categories: ${JSON.stringify(node.classes.map((c) => ({ category_id: c.id, category_name: c.name })))}.${node.instruction ? ` ${ctx.pool.renderReferences(node.instruction)}` : ''}`;
  const prompts = [
    { role: 'system', text: system },
    { role: 'user', text: query },
  ];
  const reply = JSON.stringify({ category_id: chosen.id, category_name: chosen.name });
  const { usage, metadata } = usageOf(prompts, reply, ctx, started);
  return {
    inputs: { query },
    outputs: { class_name: chosen.name, class_id: chosen.id, usage },
    processData: {
      model_mode: node.model.mode ?? 'chat',
      prompts,
      usage,
      finish_reason: 'stop',
      model_provider: node.model.provider ?? 'local',
      model_name: node.model.name ?? 'difyrun-echo',
    },
    metadata,
    handle: chosen.id,
  };
}

export function pickClass<C extends { name: string }>(query: string, classes: C[]): C {
  const q = query.toLowerCase();
  const words = new Set(q.match(/[\p{L}\p{N}]+/gu) ?? []);
  return (
    classes.find((c) => c.name && q.includes(c.name.toLowerCase())) ??
    classes.find((c) => (c.name.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).some((w) => words.has(w))) ??
    classes[0]!
  );
}
