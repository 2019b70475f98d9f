/** Every node type the local engine runs. Adding a type = one module + one line here. */
import { aggregatorNode } from './variable-aggregator.js';
import { assignerNode } from './assigner.js';
import { codeNode } from './code.js';
import { containerStartNode, loopEndNode } from './container-start.js';
import { documentExtractorNode } from './document-extractor.js';
import { endNode } from './end.js';
import { httpRequestNode } from './http-request.js';
import { ifElseNode } from './if-else.js';
import type { NodeKind } from './kind.js';
import { iterationNode } from './iteration.js';
import { listOperatorNode } from './list-operator.js';
import { llmNode } from './llm.js';
import { loopNode } from './loop.js';
import { parameterExtractorNode } from './parameter-extractor.js';
import { questionClassifierNode } from './question-classifier.js';
import { startNode } from './start.js';
import { templateNode } from './template-transform.js';

const KINDS: NodeKind[] = [
  startNode,
  endNode,
  templateNode,
  ifElseNode,
  aggregatorNode,
  codeNode,
  llmNode,
  iterationNode,
  loopNode,
  containerStartNode,
  loopEndNode,
  assignerNode,
  listOperatorNode,
  httpRequestNode,
  documentExtractorNode,
  questionClassifierNode,
  parameterExtractorNode,
];

const BY_TYPE = new Map<string, NodeKind>(KINDS.flatMap((kind) => kind.types.map((type) => [type, kind] as const)));

export const SUPPORTED_NODE_TYPES: readonly string[] = [...BY_TYPE.keys()];

export function findNodeKind(type: string): NodeKind | undefined {
  return BY_TYPE.get(type);
}

/** The kind of a node that passed loading (its type is known). */
export function nodeKind(type: string): NodeKind {
  const kind = BY_TYPE.get(type);
  if (!kind) throw new Error(`no node module for type ${type}`);
  return kind;
}
