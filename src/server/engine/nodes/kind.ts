/**
 * The contract of a node type: how it is read from the DSL, which variables it reads, and
 * how it runs. One module per node type implements it; registry.ts lists them.
 */
import type { Fail } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import type { NodeContext, NodeResult } from '../node-context.js';

export interface NodeKind<N extends NodeBase = NodeBase> {
  /** The DSL `type` values this module handles. */
  readonly types: readonly string[];
  /** iteration/loop: emits <container>_started/_next/_completed instead of node_started/_finished. */
  readonly container?: 'iteration' | 'loop';
  /** Runs nothing and sends no events; the walk just follows its edges (iteration-start, loop-start). */
  readonly passThrough?: boolean;
  /**
   * Runs inside the real server's worker with no sandbox, network or model call, so when a stop
   * aborts the run just after this node started, it still finishes there (measured on 1.13.2:
   * an End node does; a code or template node, which call the sandbox, do not).
   */
  readonly quick?: boolean;
  /** The node-type fields from the node's `data` (common fields are read by the loader). */
  parse(data: Record<string, unknown>, fail: Fail): Omit<N, keyof NodeBase>;
  /** Selectors the node reads, checked at load time to point at existing nodes. */
  selectors(node: N): Selector[];
  run(node: N, ctx: NodeContext): Promise<NodeResult> | NodeResult;
  /** Containers: the inputs and metadata their *_started event carries; null = no events at all (nothing to go through). */
  describeStart?(node: N, ctx: NodeContext): { inputs: Record<string, unknown>; metadata: Record<string, unknown> } | null;
}

/** Erases a module's node type so the registry can hold every kind in one list. */
export function defineNode<N extends NodeBase>(kind: NodeKind<N>): NodeKind {
  return kind as unknown as NodeKind;
}
