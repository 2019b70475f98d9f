/**
 * Loads a Dify app export (YAML, `kind: app`, `app.mode: workflow`, DSL 0.1.x–0.6.x) into a
 * checked graph. Everything is validated up front: an unsupported node type or a malformed
 * node is an error naming the node, so the server never starts half-configured.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { findNodeKind, nodeKind, SUPPORTED_NODE_TYPES } from '../engine/nodes/registry.js';
import { stableUuid } from '../stable-id.js';
import { isObject, type Fail } from './parse-helpers.js';
import type { Edge, NodeBase, StartNode, WorkflowApp, WorkflowNode } from './types.js';

export { SUPPORTED_NODE_TYPES };

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
  if (!/^0\.[1-6](\.\d+)?$/.test(dslVersion)) fail(`DSL version ${dslVersion} is not supported (0.1.x–0.6.x are)`);
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
    const node = parseNode(id, data, (message) => fail(`node ${id} (${String(data['type'])}${titleOf(data)}): ${message}`));
    const parentId = rawNode['parentId'] ?? data['iteration_id'] ?? data['loop_id'];
    nodes.set(id, typeof parentId === 'string' && parentId !== '' ? { ...node, parentId } : node);
  }

  const edges: Edge[] = [];
  for (const [index, raw] of rawEdges.entries()) {
    if (!isObject(raw)) fail(`edge #${index + 1} is not a mapping`);
    const edge = raw as Record<string, unknown>;
    const sourceId = String(edge['source']);
    const targetId = String(edge['target']);
    if (!nodes.has(sourceId)) fail(`edge ${String(edge['id'] ?? index + 1)} starts at unknown node ${sourceId}`);
    if (!nodes.has(targetId)) fail(`edge ${String(edge['id'] ?? index + 1)} ends at unknown node ${targetId}`);
    edges.push({
      id: String(edge['id'] ?? `${sourceId}-${targetId}`),
      source: sourceId,
      sourceHandle: String(edge['sourceHandle'] ?? 'source'),
      target: targetId,
    });
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

function parseNode(id: string, data: Record<string, unknown>, fail: Fail): WorkflowNode {
  const type = String(data['type']);
  const kind = findNodeKind(type) ?? fail(`node type "${type}" is not supported by the local server (supported: ${SUPPORTED_NODE_TYPES.join(', ')})`);
  const base: NodeBase = {
    id,
    type,
    title: String(data['title'] ?? type),
    raw: data,
    ...(typeof data['error_strategy'] === 'string' ? { error_strategy: data['error_strategy'] as NodeBase['error_strategy'] } : {}),
    ...(Array.isArray(data['default_value']) ? { default_value: data['default_value'] as NodeBase['default_value'] } : {}),
    ...(isObject(data['retry_config']) ? { retry_config: data['retry_config'] as NodeBase['retry_config'] } : {}),
  };
  return { ...base, ...kind.parse(data, fail) };
}

/** Every selector must point at a node that exists (or sys/env). */
function checkSelectors(nodes: Map<string, WorkflowNode>, fail: Fail): void {
  for (const node of nodes.values()) {
    for (const sel of nodeKind(node.type).selectors(node)) {
      const [owner] = sel;
      if (owner === 'sys' || owner === 'env' || owner === 'conversation' || nodes.has(owner!)) continue;
      fail(`node ${node.id} (${node.type} "${node.title}") refers to unknown node ${owner} in selector ${sel.join('.')}`);
    }
  }
}

function titleOf(data: Record<string, unknown>): string {
  return typeof data['title'] === 'string' ? ` "${data['title']}"` : '';
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
