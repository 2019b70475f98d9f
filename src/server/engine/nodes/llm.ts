/**
 * LLM, as a deterministic local stand-in: renders the prompt (Dify's `{{#node.var#}}`
 * references, or Jinja2 prompts) and streams the user messages back as tokens at a
 * configurable rate, with token counts and a price in execution_metadata.
 */
import { isObject, namedSelectors, type Fail } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';
import { renderJinja } from './template-transform.js';
import { abortableDelay } from '../../../util/abortable-delay.js';
import { defineNode } from './kind.js';

export interface LlmMessage {
  role: string;
  text: string;
  edition_type?: 'basic' | 'jinja2';
  jinja2_text?: string;
}

export interface LlmNode extends NodeBase {
  type: 'llm';
  messages: LlmMessage[];
  model: { provider?: string; name?: string; mode?: string };
  /** Variables for jinja2 prompts. */
  prompt_variables: { variable: string; value_selector: Selector }[];
}

export const llmNode = defineNode<LlmNode>({
  types: ['llm'],
  parse: (data, fail) => ({
    messages: parseMessages(data['prompt_template'], fail),
    model: parseModel(data),
    prompt_variables: namedSelectors(isObject(data['prompt_config']) ? data['prompt_config']['jinja2_variables'] : [], fail),
  }),
  selectors: (node) => node.prompt_variables.map((v) => v.value_selector),
  run: (node, ctx) => runLlm(node, ctx),
});

function parseMessages(prompt: unknown, fail: Fail): LlmMessage[] {
  const message = (m: Record<string, unknown>, role: string): LlmMessage => ({
    role,
    text: String(m['text'] ?? ''),
    ...(m['edition_type'] === 'jinja2' ? { edition_type: 'jinja2' as const, jinja2_text: String(m['jinja2_text'] ?? m['text'] ?? '') } : {}),
  });
  if (Array.isArray(prompt)) return prompt.filter(isObject).map((m) => message(m, String(m['role'] ?? 'user')));
  if (isObject(prompt)) return [message(prompt, 'user')];
  return fail('no prompt_template');
}

/** The model block as the LLM-based nodes (llm, parameter-extractor, question-classifier) export it. */
export function parseModel(data: Record<string, unknown>): LlmNode['model'] {
  const model = isObject(data['model']) ? data['model'] : {};
  return { provider: String(model['provider'] ?? 'local'), name: String(model['name'] ?? 'difyrun-echo'), mode: String(model['mode'] ?? 'chat') };
}

async function runLlm(node: LlmNode, ctx: NodeContext): Promise<NodeResult> {
  const started = Date.now();
  const jinjaVariables: Record<string, unknown> = {};
  for (const v of node.prompt_variables) jinjaVariables[v.variable] = ctx.pool.get(v.value_selector) ?? null;
  const messages = node.messages.map((message) => ({
    role: message.role,
    text: message.edition_type === 'jinja2' ? renderJinja(message.jinja2_text ?? message.text, jinjaVariables) : ctx.pool.renderReferences(message.text),
  }));
  const userMessages = messages.filter((m) => m.role === 'user');
  const reply = (userMessages.length > 0 ? userMessages : messages).map((m) => m.text).join('\n');

  await streamTokens(tokenize(reply), ctx);
  const { usage, metadata } = usageOf(messages, reply, ctx, started);
  return {
    inputs: null,
    outputs: { text: reply, usage, finish_reason: 'stop' },
    processData: {
      model_mode: node.model.mode ?? 'chat',
      prompts: messages,
      model_provider: node.model.provider ?? 'local',
      model_name: node.model.name ?? 'difyrun-echo',
    },
    metadata,
  };
}

/** Token counts and price of one stand-in model call, as usage and as execution_metadata. */
export function usageOf(messages: { text: string }[], reply: string, ctx: NodeContext, startedMs: number) {
  const promptTokens = messages.reduce((sum, m) => sum + tokenize(m.text).length, 0);
  const completionTokens = tokenize(reply).length;
  const totalTokens = promptTokens + completionTokens;
  const totalPrice = round((totalTokens / 1000) * ctx.llm.pricePer1kTokens, 7);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: totalTokens,
    total_price: totalPrice,
    currency: ctx.llm.currency,
    latency: (Date.now() - startedMs) / 1000,
  };
  return { usage, metadata: { total_tokens: totalTokens, total_price: totalPrice, currency: ctx.llm.currency } };
}

/** Words with their leading space, punctuation, and CJK characters one by one. */
export function tokenize(text: string): string[] {
  return text.match(/\s*[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|\s*[\p{L}\p{N}_]+|\s*[^\s\p{L}\p{N}_]|\s+$/gu) ?? [];
}

async function streamTokens(tokens: string[], ctx: NodeContext): Promise<void> {
  const rate = ctx.llm.tokensPerSecond;
  if (!ctx.streamsLive && rate <= 0) return;
  const start = Date.now();
  let sent = 0;
  while (sent < tokens.length) {
    if (ctx.signal.aborted) return;
    // Everything due by now goes out in one chunk, so a high rate does not mean one timer per token.
    const due = rate > 0 ? Math.min(tokens.length, Math.floor(((Date.now() - start) / 1000) * rate) + 1) : tokens.length;
    if (due > sent) {
      if (ctx.streamsLive) for (const token of tokens.slice(sent, due)) ctx.streamText(token);
      sent = due;
    }
    if (sent < tokens.length) await abortableDelay(Math.max(1, Math.min(50, 1000 / rate)), ctx.signal);
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
