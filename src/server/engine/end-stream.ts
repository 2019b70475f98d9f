/**
 * Streams the End nodes' outputs as text_chunk events the way the real server does: once
 * every branch on the way to an End node is decided, each output goes out, in order, as
 * soon as the variable it refers to exists (or is known never to, when its node was
 * skipped), with a "\n" chunk between outputs. Values are written as Dify's markdown text.
 */
import type { WorkflowApp } from '../dsl/types.js';
import { isEndNode, type EndNode } from './nodes/end.js';
import { nodeKind } from './nodes/registry.js';
import type { VariablePool } from './variable-pool.js';

type Emit = (event: string, data: Record<string, unknown>) => void;

/** What the top-level walk has decided so far. */
export interface WalkProgress {
  isSkipped(nodeId: string): boolean;
  isRouted(nodeId: string): boolean;
}

interface EndState {
  node: EndNode;
  /** Upstream nodes that choose between edges; all must be decided before streaming. */
  branches: string[];
  next: number;
}

export class EndStream {
  readonly #liveLlmNodes: Set<string>;
  readonly #ends: EndState[] = [];

  constructor(
    app: WorkflowApp,
    private readonly pool: VariablePool,
    private readonly emit: Emit,
  ) {
    this.#liveLlmNodes = liveStreamedLlmNodes(app);
    for (const node of app.nodes.values()) {
      if (isEndNode(node) && !node.parentId) this.#ends.push({ node, branches: branchesBefore(app, node.id), next: 0 });
    }
  }

  streamsLive(nodeId: string): boolean {
    return this.#liveLlmNodes.has(nodeId);
  }

  update(progress: WalkProgress): void {
    for (const end of this.#ends) {
      const { node } = end;
      if (end.next >= node.outputs.length || progress.isSkipped(node.id)) continue;
      if (!end.branches.every((id) => progress.isRouted(id))) continue;
      while (end.next < node.outputs.length) {
        const selector = node.outputs[end.next]!.value_selector;
        const owner = selector[0]!;
        if (this.pool.has(owner)) {
          // A variable its node did not produce sends nothing; one that is None sends "".
          const live = end.next === 0 && selector.length === 2 && selector[1] === 'text' && this.#liveLlmNodes.has(owner);
          const value = this.pool.get(selector);
          if (!live && value !== undefined) this.emit('text_chunk', { text: markdownText(value), from_variable_selector: selector });
        } else if (!progress.isSkipped(owner)) {
          break;
        }
        end.next++;
        if (end.next < node.outputs.length) this.emit('text_chunk', { text: '\n', from_variable_selector: [node.id, 'answer'] });
      }
    }
  }
}

/** How Dify writes a variable into streamed text: arrays as "- item" lines, objects as indented JSON, None as "". */
export function markdownText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => `- ${pythonStr(item)}`).join('\n');
  if (value !== null && typeof value === 'object') return JSON.stringify(value, null, 2);
  return pythonStr(value);
}

/** Python's str() of a JSON value. */
function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return value === null ? 'None' : '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
    .join(', ')}}`;
}

function pythonRepr(value: unknown): string {
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : pythonStr(value);
}

/** Nodes upstream of `target` that decide whether it runs: branching ones (if-else, fail branches, classifiers) and containers. */
function branchesBefore(app: WorkflowApp, target: string): string[] {
  const seen = new Set<string>([target]);
  const branches = new Set<string>();
  const queue = [target];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const edge of app.edges) {
      if (edge.target !== id || seen.has(edge.source)) continue;
      seen.add(edge.source);
      queue.push(edge.source);
    }
  }
  for (const edge of app.edges) if (seen.has(edge.source) && edge.sourceHandle !== 'source') branches.add(edge.source);
  // The real server also waits for every iteration and loop on the way to have completed.
  for (const id of seen) if (nodeKind(app.nodes.get(id)!.type).container) branches.add(id);
  return [...branches];
}

/** LLM nodes whose `text` is the first output of an End node: their tokens stream live. */
function liveStreamedLlmNodes(app: WorkflowApp): Set<string> {
  const live = new Set<string>();
  for (const node of app.nodes.values()) {
    if (!isEndNode(node)) continue;
    const first = node.outputs[0]?.value_selector;
    if (first && first[1] === 'text' && first.length === 2 && app.nodes.get(first[0]!)?.type === 'llm') live.add(first[0]!);
  }
  return live;
}
