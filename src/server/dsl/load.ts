/**
 * Loads a Dify app export (YAML, `kind: app`, `app.mode: workflow`, DSL 0.1.x–0.5.x) into a
 * checked graph. Everything is validated up front: an unsupported node type or a malformed
 * node is an error naming the node, so the server never starts half-configured.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { InputVariable } from '../../protocol/index.js';
import { stableUuid } from '../stable-id.js';
import type {
  AggregatorNode,
  CodeNode,
  Condition,
  Edge,
  EndNode,
  IfElseNode,
  LlmNode,
  NodeBase,
  Selector,
  StartNode,
  TemplateNode,
  WorkflowApp,
  WorkflowNode,
} from './types.js';

export const SUPPORTED_NODE_TYPES = ['start', 'end', 'template-transform', 'if-else', 'variable-aggregator', 'variable-assigner', 'code', 'llm'] as const;
const SUPPORTED_CODE_LANGUAGES = ['javascript', 'python3'];

export class DslError extends Error {
  override name = 'DslError';
}

export function loadWorkflowFile(path: string): WorkflowApp {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DslError(`${path}: cannot read the workflow file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseWorkflow(text, path);
}

export function parseWorkflow(text: string, source = 'workflow'): WorkflowApp {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new DslError(`${source}: not valid YAML: ${firstLine((error as Error).message)}`);
  }
  const fail = (message: string): never => {
    throw new DslError(`${source}: ${message}`);
  };
  if (!isObject(doc)) return fail('not a Dify app export (expected a YAML mapping with kind: app)');
  if (doc['kind'] !== undefined && doc['kind'] !== 'app') fail(`kind is "${String(doc['kind'])}", expected "app"`);
  const dslVersion = String(doc['version'] ?? '0.1.0');
  if (!/^0\.[1-5](\.\d+)?$/.test(dslVersion)) fail(`DSL version ${dslVersion} is not supported (0.1.x–0.5.x are)`);
  const app = isObject(doc['app']) ? doc['app'] : fail('missing the "app" section');
  if (app['mode'] !== 'workflow') {
    fail(`app mode is "${String(app['mode'])}"; only workflow apps can be served (chatflow/advanced-chat, chat, agent and completion apps cannot)`);
  }
  const workflow = isObject(doc['workflow']) ? doc['workflow'] : fail('missing the "workflow" section');
  const graph = isObject(workflow['graph']) ? workflow['graph'] : fail('missing workflow.graph');
  const rawNodes = Array.isArray(graph['nodes']) ? graph['nodes'] : fail('workflow.graph.nodes is not a list');
  const rawEdges = Array.isArray(graph['edges']) ? graph['edges'] : fail('workflow.graph.edges is not a list');

  const nodes = new Map<string, WorkflowNode>();
  for (const [index, raw] of rawNodes.entries()) {
    if (!isObject(raw)) fail(`node #${index + 1} is not a mapping`);
    const rawNode = raw as Record<string, unknown>;
    if (rawNode['type'] === 'custom-note') continue; // sticky notes on the canvas
    const id = rawNode['id'] === undefined ? fail(`node #${index + 1} has no id`) : String(rawNode['id']);
    const data = isObject(rawNode['data']) ? rawNode['data'] : fail(`node ${id} has no data`);
    if (nodes.has(id)) fail(`node id ${id} appears twice`);
    nodes.set(id, parseNode(id, data, (message) => fail(`node ${id} (${String(data['type'])}${titleOf(data)}): ${message}`)));
  }

  const edges: Edge[] = [];
  for (const [index, raw] of rawEdges.entries()) {
    if (!isObject(raw)) fail(`edge #${index + 1} is not a mapping`);
    const edge = raw as Record<string, unknown>;
    const sourceId = String(edge['source']);
    const targetId = String(edge['target']);
    if (!nodes.has(sourceId)) fail(`edge ${String(edge['id'] ?? index + 1)} starts at unknown node ${sourceId}`);
    if (!nodes.has(targetId)) fail(`edge ${String(edge['id'] ?? index + 1)} ends at unknown node ${targetId}`);
    edges.push({ id: String(edge['id'] ?? `${sourceId}-${targetId}`), source: sourceId, sourceHandle: String(edge['sourceHandle'] ?? 'source'), target: targetId });
  }

  const starts = [...nodes.values()].filter((node): node is StartNode => node.type === 'start');
  if (starts.length !== 1) fail(`a workflow needs exactly one start node, found ${starts.length}`);
  if (![...nodes.values()].some((node) => node.type === 'end')) fail('the workflow has no end node');
  checkSelectors(nodes, fail);

  const environment: Record<string, unknown> = {};
  for (const variable of Array.isArray(workflow['environment_variables']) ? workflow['environment_variables'] : []) {
    if (isObject(variable) && typeof variable['name'] === 'string') environment[variable['name']] = variable['value'];
  }

  return {
    name: String(app['name'] ?? 'workflow'),
    description: String(app['description'] ?? ''),
    icon: String(app['icon'] ?? '🤖'),
    icon_background: String(app['icon_background'] ?? '#FFEAD5'),
    dslVersion,
    nodes,
    edges,
    start: starts[0]!,
    environment,
    features: isObject(workflow['features']) ? workflow['features'] : {},
    workflowId: stableUuid(`workflow:${text}`),
    version: '2026-01-01 00:00:00.000000',
  };
}

function parseNode(id: string, data: Record<string, unknown>, fail: (message: string) => never): WorkflowNode {
  const type = String(data['type']);
  const base: NodeBase = {
    id,
    type,
    title: String(data['title'] ?? type),
    raw: data,
    ...(typeof data['error_strategy'] === 'string' ? { error_strategy: data['error_strategy'] as NodeBase['error_strategy'] } : {}),
    ...(Array.isArray(data['default_value']) ? { default_value: data['default_value'] as NodeBase['default_value'] } : {}),
    ...(isObject(data['retry_config']) ? { retry_config: data['retry_config'] as NodeBase['retry_config'] } : {}),
  };
  switch (type) {
    case 'start':
      return { ...base, type, variables: listOf(data['variables']).map((v) => parseVariable(v, fail)) } satisfies StartNode;
    case 'end':
      return {
        ...base,
        type,
        outputs: listOf(data['outputs']).map((o) => ({
          variable: String(o['variable'] ?? fail('an output has no variable name')),
          value_selector: selector(o['value_selector'], fail),
          ...(typeof o['value_type'] === 'string' ? { value_type: o['value_type'] } : {}),
        })),
      } satisfies EndNode;
    case 'template-transform':
      return {
        ...base,
        type,
        template: typeof data['template'] === 'string' ? data['template'] : fail('no template'),
        variables: namedSelectors(data['variables'], fail),
      } satisfies TemplateNode;
    case 'if-else':
      return { ...base, type, cases: parseCases(data, fail) } satisfies IfElseNode;
    case 'variable-aggregator':
    case 'variable-assigner': {
      const advanced = isObject(data['advanced_settings']) ? data['advanced_settings'] : {};
      const groups = advanced['group_enabled']
        ? listOf(advanced['groups']).map((g) => ({
            group_name: String(g['group_name'] ?? fail('a group has no name')),
            ...(typeof g['output_type'] === 'string' ? { output_type: g['output_type'] } : {}),
            variables: (Array.isArray(g['variables']) ? g['variables'] : []).map((s) => selector(s, fail)),
          }))
        : undefined;
      return {
        ...base,
        type,
        variables: (Array.isArray(data['variables']) ? data['variables'] : []).map((s) => selector(s, fail)),
        groups,
      } satisfies AggregatorNode;
    }
    case 'code': {
      const language = String(data['code_language'] ?? 'python3');
      if (!SUPPORTED_CODE_LANGUAGES.includes(language)) {
        fail(`code_language "${language}" is not supported (supported: ${SUPPORTED_CODE_LANGUAGES.join(', ')})`);
      }
      const outputs = isObject(data['outputs']) ? data['outputs'] : {};
      return {
        ...base,
        type,
        code_language: language as CodeNode['code_language'],
        code: typeof data['code'] === 'string' ? data['code'] : fail('no code'),
        variables: namedSelectors(data['variables'], fail),
        outputs: Object.fromEntries(
          Object.entries(outputs).map(([name, spec]) => [name, { type: isObject(spec) ? String(spec['type'] ?? 'string') : 'string', ...(isObject(spec) ? { children: spec['children'] } : {}) }]),
        ),
      } satisfies CodeNode;
    }
    case 'llm': {
      const prompt = data['prompt_template'];
      const messages = Array.isArray(prompt)
        ? prompt.filter(isObject).map((m) => ({
            role: String(m['role'] ?? 'user'),
            text: String(m['text'] ?? ''),
            ...(m['edition_type'] === 'jinja2' ? { edition_type: 'jinja2' as const, jinja2_text: String(m['jinja2_text'] ?? m['text'] ?? '') } : {}),
          }))
        : isObject(prompt)
          ? [{ role: 'user', text: String(prompt['text'] ?? ''), ...(prompt['edition_type'] === 'jinja2' ? { edition_type: 'jinja2' as const, jinja2_text: String(prompt['jinja2_text'] ?? prompt['text'] ?? '') } : {}) }]
          : fail('no prompt_template');
      const model = isObject(data['model']) ? data['model'] : {};
      return {
        ...base,
        type,
        messages,
        model: { provider: String(model['provider'] ?? 'local'), name: String(model['name'] ?? 'difyrun-echo'), mode: String(model['mode'] ?? 'chat') },
        prompt_variables: namedSelectors(isObject(data['prompt_config']) ? data['prompt_config']['jinja2_variables'] : [], fail),
      } satisfies LlmNode;
    }
    default:
      return fail(`node type "${type}" is not supported by the local server (supported: ${SUPPORTED_NODE_TYPES.join(', ')})`);
  }
}

function parseVariable(raw: Record<string, unknown>, fail: (message: string) => never): InputVariable {
  if (typeof raw['variable'] !== 'string' || raw['variable'] === '') fail('an input variable has no name');
  const type = String(raw['type'] ?? 'text-input');
  const known = ['text-input', 'paragraph', 'select', 'number', 'checkbox', 'json_object', 'file', 'file-list', 'external_data_tool'];
  if (!known.includes(type)) fail(`input variable ${String(raw['variable'])} has unknown type "${type}"`);
  return { ...(raw as unknown as InputVariable), label: String(raw['label'] ?? raw['variable']), type: type as InputVariable['type'] };
}

function parseCases(data: Record<string, unknown>, fail: (message: string) => never): IfElseNode['cases'] {
  const conditionsOf = (list: unknown): Condition[] =>
    listOf(list).map((c) => ({
      variable_selector: selector(c['variable_selector'], fail),
      comparison_operator: String(c['comparison_operator'] ?? fail('a condition has no comparison_operator')),
      value: c['value'],
      ...(typeof c['varType'] === 'string' ? { varType: c['varType'] } : {}),
    }));
  if (Array.isArray(data['cases'])) {
    return listOf(data['cases']).map((c) => ({
      case_id: String(c['case_id'] ?? c['id'] ?? fail('a case has no case_id')),
      logical_operator: c['logical_operator'] === 'or' ? 'or' : 'and',
      conditions: conditionsOf(c['conditions']),
    }));
  }
  // Old single-case form: conditions + logical_operator, branching on 'true'/'false'.
  return [{ case_id: 'true', logical_operator: data['logical_operator'] === 'or' ? 'or' : 'and', conditions: conditionsOf(data['conditions']) }];
}

function namedSelectors(list: unknown, fail: (message: string) => never): { variable: string; value_selector: Selector }[] {
  return listOf(list).map((v) => ({ variable: String(v['variable'] ?? fail('a variable has no name')), value_selector: selector(v['value_selector'], fail) }));
}

function selector(value: unknown, fail: (message: string) => never): Selector {
  if (!Array.isArray(value) || value.length < 2) fail(`invalid variable selector ${JSON.stringify(value)}`);
  return (value as unknown[]).map(String);
}

/** Every selector must point at a node that exists (or sys/env). */
function checkSelectors(nodes: Map<string, WorkflowNode>, fail: (message: string) => never): void {
  const check = (node: WorkflowNode, sel: Selector) => {
    const [owner] = sel;
    if (owner === 'sys' || owner === 'env' || owner === 'conversation' || nodes.has(owner!)) return;
    fail(`node ${node.id} (${node.type} "${node.title}") refers to unknown node ${owner} in selector ${sel.join('.')}`);
  };
  for (const node of nodes.values()) {
    if (node.type === 'end') node.outputs.forEach((o) => check(node, o.value_selector));
    if (node.type === 'template-transform' || node.type === 'code') node.variables.forEach((v) => check(node, v.value_selector));
    if (node.type === 'if-else') node.cases.forEach((c) => c.conditions.forEach((cond) => check(node, cond.variable_selector)));
    if (node.type === 'variable-aggregator' || node.type === 'variable-assigner') {
      node.variables.forEach((s) => check(node, s));
      node.groups?.forEach((g) => g.variables.forEach((s) => check(node, s)));
    }
  }
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function titleOf(data: Record<string, unknown>): string {
  return typeof data['title'] === 'string' ? ` "${data['title']}"` : '';
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
