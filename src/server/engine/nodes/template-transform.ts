import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';
import { namedSelectors } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';

export interface TemplateNode extends NodeBase {
  type: 'template-transform';
  template: string;
  variables: { variable: string; value_selector: Selector }[];
}

export const templateNode = defineNode<TemplateNode>({
  types: ['template-transform'],
  parse: (data, fail) => ({
    template: typeof data['template'] === 'string' ? data['template'] : fail('no template'),
    variables: namedSelectors(data['variables'], fail),
  }),
  selectors: (node) => node.variables.map((v) => v.value_selector),
  run: (node, ctx) => runTemplate(node, ctx),
});

/** Dify's TEMPLATE_TRANSFORM_MAX_LENGTH default. */
const MAX_OUTPUT_LENGTH = 80000;
const compiled = new Map<string, ReturnType<typeof parse>>();

/** The globals of a Jinja2 environment that templates use. */
const GLOBALS: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
  range: (start: number, stop?: number, step = 1) => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (step === 0) throw new Error('range() arg 3 must not be zero');
    const out: number[] = [];
    for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
    return out;
  },
  raise_exception: (message: string) => {
    throw new Error(message);
  },
};

/** Template: Jinja2 over the node's named variables. */
function runTemplate(node: TemplateNode, ctx: NodeContext): NodeResult {
  const variables: Record<string, unknown> = {};
  for (const v of node.variables) variables[v.variable] = ctx.pool.get(v.value_selector) ?? null;
  const output = renderJinja(node.template, variables);
  if (output.length > MAX_OUTPUT_LENGTH) {
    throw new NodeError(`Output length exceeds ${MAX_OUTPUT_LENGTH} characters`);
  }
  return { inputs: variables, outputs: { output } };
}

/**
 * Renders a Jinja2 template (compiled once per source text) with Jinja2's default whitespace
 * rules, as Dify's sandbox does: the library's Template class turns on trim_blocks and
 * lstrip_blocks (right for chat templates, wrong here), so the template is tokenized directly.
 */
export function renderJinja(source: string, variables: Record<string, unknown>): string {
  try {
    let program = compiled.get(source);
    if (!program) {
      program = parse(tokenize(source, { trim_blocks: false, lstrip_blocks: false }));
      compiled.set(source, program);
    }
    const env = new Environment();
    for (const [name, value] of Object.entries(variables)) env.set(name, value);
    // A node variable named like a global shadows it, as in Jinja2.
    for (const [name, value] of Object.entries(GLOBALS)) if (!(name in variables)) env.set(name, value);
    return String(new Interpreter(env).run(program).value);
  } catch (error) {
    throw new NodeError(`Failed to render template: ${(error as Error).message}`, 'TemplateTransformError');
  }
}
