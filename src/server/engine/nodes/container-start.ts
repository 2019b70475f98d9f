/** The nodes that mark where an iteration or loop round begins, and where a loop ends. */

/** Start of a round: sends no events, its edges are simply followed. */
import type { NodeBase } from '../../dsl/types.js';
import { defineNode } from './kind.js';

export const containerStartNode = defineNode<NodeBase>({
  types: ['iteration-start', 'loop-start'],
  passThrough: true,
  parse: () => ({}),
  selectors: () => [],
  run: () => ({ inputs: null, outputs: {} }),
});

/** Loop end: reaching it ends the loop after the current round. */
export const loopEndNode = defineNode<NodeBase>({
  types: ['loop-end'],
  parse: () => ({}),
  selectors: () => [],
  run: () => ({ inputs: {}, outputs: {} }),
});
