import { Template } from '@huggingface/jinja';
import type { TemplateNode } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';

/** Dify's TEMPLATE_TRANSFORM_MAX_LENGTH default. */
const MAX_OUTPUT_LENGTH = 80000;
const compiled = new Map<string, Template>();

/** Template: Jinja2 over the node's named variables. */
export function runTemplate(node: TemplateNode, ctx: NodeContext): NodeResult {
  const variables: Record<string, unknown> = {};
  for (const v of node.variables) variables[v.variable] = ctx.pool.get(v.value_selector) ?? null;
  const output = renderJinja(node.template, variables);
  if (output.length > MAX_OUTPUT_LENGTH) {
    throw new NodeError(`Output length exceeds ${MAX_OUTPUT_LENGTH} characters`);
  }
  return { inputs: variables, outputs: { output } };
}

/** Renders a Jinja2 template (compiled once per source text). */
export function renderJinja(source: string, variables: Record<string, unknown>): string {
  let template = compiled.get(source);
  try {
    if (!template) {
      template = new Template(source);
      compiled.set(source, template);
    }
    return template.render(variables);
  } catch (error) {
    throw new NodeError(`Failed to render template: ${(error as Error).message}`, 'TemplateTransformError');
  }
}
