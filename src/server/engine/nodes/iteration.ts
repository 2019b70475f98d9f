/**
 * Iteration: runs the nodes inside once per item of a list, one round after another or up
 * to parallel_nums rounds at a time, and collects each round's output_selector value in
 * order. Lists of lists are flattened unless flatten_output is off. A failing round ends
 * the iteration (terminated), yields null (continue-on-error) or is left out
 * (remove-abnormal-output).
 */
import { selector, text } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';

const ERROR_MODES = ['terminated', 'continue-on-error', 'remove-abnormal-output'] as const;

export interface IterationNode extends NodeBase {
  type: 'iteration';
  iterator_selector: Selector;
  output_selector: Selector;
  start_node_id: string;
  is_parallel: boolean;
  parallel_nums: number;
  error_handle_mode: (typeof ERROR_MODES)[number];
  flatten_output: boolean;
}

export const iterationNode = defineNode<IterationNode>({
  types: ['iteration'],
  container: 'iteration',
  parse: (data, fail) => {
    const mode = text(data['error_handle_mode'], 'terminated');
    if (!(ERROR_MODES as readonly string[]).includes(mode)) fail(`error_handle_mode "${mode}" is not one of ${ERROR_MODES.join(', ')}`);
    return {
      iterator_selector: selector(data['iterator_selector'], fail),
      output_selector: selector(data['output_selector'], fail),
      start_node_id: text(data['start_node_id']) || fail('no start_node_id'),
      is_parallel: data['is_parallel'] === true,
      parallel_nums: Math.max(1, Number(data['parallel_nums'] ?? 10) || 10),
      error_handle_mode: mode as IterationNode['error_handle_mode'],
      flatten_output: data['flatten_output'] !== false,
    };
  },
  selectors: (node) => [node.iterator_selector],
  describeStart: (node, ctx) => {
    const items = ctx.pool.get(node.iterator_selector);
    if (items === null || (Array.isArray(items) && items.length === 0)) return null;
    return { inputs: { iterator_selector: items ?? null }, metadata: { iteration_length: Array.isArray(items) ? items.length : 0 } };
  },
  run: (node, ctx) => runIteration(node, ctx),
});

async function runIteration(node: IterationNode, ctx: NodeContext): Promise<NodeResult> {
  const items = ctx.pool.get(node.iterator_selector);
  if (items === undefined) throw new NodeError(`iterator variable ${JSON.stringify(node.iterator_selector)} not found`, 'IteratorVariableNotFoundError');
  if (items !== null && !Array.isArray(items))
    throw new NodeError(`invalid iterator value: ${JSON.stringify(items)}, please provide a list.`, 'InvalidIteratorValueError');
  const list = items ?? [];
  const outputs: unknown[] = new Array(list.length).fill(null);
  const failed = new Set<number>();
  const durations: Record<string, number> = {};

  const round = async (index: number) => {
    const started = Date.now();
    const pool = ctx.pool.child();
    pool.set(node.id, { item: list[index], index });
    try {
      await ctx.runInner({ startNodeId: node.start_node_id, pool, scope: { iterationId: node.id, loopId: null }, buffered: node.is_parallel });
      outputs[index] = pool.get(node.output_selector) ?? null;
    } catch (error) {
      if (node.error_handle_mode === 'terminated' || ctx.signal.aborted) {
        // The rounds that finished before are reported with the failure.
        const done = outputs.filter((_value, i) => i < index && !failed.has(i));
        const message = error instanceof Error ? error.message : String(error);
        throw new NodeError(message, 'IterationNodeError', { inputs: { iterator_selector: list }, outputs: { output: done }, steps: list.length });
      }
      failed.add(index);
    } finally {
      durations[String(index)] = (Date.now() - started) / 1000;
    }
  };

  if (node.is_parallel) {
    // Every round is announced up front; up to parallel_nums run at once.
    list.forEach((_item, index) => ctx.nextRound(index));
    let next = 0;
    const worker = async () => {
      while (next < list.length) await round(next++);
    };
    await Promise.all(Array.from({ length: Math.min(node.parallel_nums, list.length) }, worker));
  } else {
    for (let index = 0; index < list.length; index++) {
      ctx.nextRound(index);
      await round(index);
    }
  }

  const kept = node.error_handle_mode === 'remove-abnormal-output' ? outputs.filter((_value, index) => !failed.has(index)) : outputs;
  return {
    inputs: { iterator_selector: list },
    outputs: { output: node.flatten_output ? flatten(kept) : kept },
    metadata: { total_tokens: 0, total_price: '0.0', currency: 'USD', iteration_duration_map: durations },
    steps: list.length,
  };
}

/** A list of lists becomes one list (None entries dropped); anything else is left as it is. */
function flatten(outputs: unknown[]): unknown[] {
  const present = outputs.filter((value) => value !== null && value !== undefined);
  if (present.length === 0 || !present.every(Array.isArray)) return outputs;
  return present.flat(1);
}
