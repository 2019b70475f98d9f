/** Streams the End nodes' outputs as text_chunk events. */
import type { WorkflowApp } from '../dsl/types.js';
import { isEndNode, type EndNode } from './nodes/end.js';

type Emit = (event: string, data: Record<string, unknown>) => void;

export class EndStream {
  readonly #liveLlmNodes: Set<string>;

  constructor(
    app: WorkflowApp,
    private readonly emit: Emit,
  ) {
    this.#liveLlmNodes = liveStreamedLlmNodes(app);
  }

  streamsLive(nodeId: string): boolean {
    return this.#liveLlmNodes.has(nodeId);
  }

  /** text_chunk for each End output in order, "\n" between them; falsy values are skipped, live-streamed LLM text is not repeated. */
  endRan(node: EndNode, outputs: Record<string, unknown>): void {
    node.outputs.forEach((output, i) => {
      if (i > 0) this.emit('text_chunk', { text: '\n', from_variable_selector: [node.id, 'output'] });
      const [owner, key] = output.value_selector;
      if (i === 0 && key === 'text' && this.#liveLlmNodes.has(owner!)) return;
      const value = outputs[output.variable];
      if (value === null || value === undefined || value === '' || value === 0 || value === false) return;
      this.emit('text_chunk', { text: typeof value === 'string' ? value : JSON.stringify(value), from_variable_selector: output.value_selector });
    });
  }
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
