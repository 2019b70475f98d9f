/**
 * The one place node event payloads are built: node_started / node_finished / node_retry,
 * and for containers iteration_* / loop_*. Each payload is typed
 * by the protocol's event type at construction, so a drift from the protocol fails to compile.
 */
import type {
  IterationCompletedEvent,
  IterationNextEvent,
  IterationStartedEvent,
  JsonObject,
  JsonValue,
  LoopCompletedEvent,
  LoopNextEvent,
  LoopStartedEvent,
  NodeFinishedData,
  NodeFinishedEvent,
  NodeRetryEvent,
  NodeStartedEvent,
} from '../../protocol/index.js';
import type { WorkflowNode } from '../dsl/types.js';
import type { Scope } from './node-context.js';

/** One execution of one node, from its start event to its finish event. */
export interface NodeExecution {
  id: string;
  node: WorkflowNode;
  container: 'iteration' | 'loop' | undefined;
  scope: Scope;
  startedAt: number;
}

export interface NodeOutcome {
  status: 'succeeded' | 'failed' | 'exception';
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  processData?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
  error: string | null;
  finishedAt: number;
  /** Containers only. */
  steps?: number;
}

type Payload<E> = E extends { event: infer N; data: infer D } ? { event: N; data: D } : never;
/** A node event without the run's ids (the run adds workflow_run_id and task_id). */
export type NodeEvent = Payload<
  | NodeStartedEvent
  | NodeFinishedEvent
  | NodeRetryEvent
  | IterationStartedEvent
  | IterationNextEvent
  | IterationCompletedEvent
  | LoopStartedEvent
  | LoopNextEvent
  | LoopCompletedEvent
>;

/** Container events carry the node id as their id, as the real server's do. */
function identity(exec: NodeExecution): { id: string; node_id: string; node_type: string; title: string } {
  return { id: exec.container ? exec.node.id : exec.id, node_id: exec.node.id, node_type: exec.node.type, title: exec.node.title };
}

export function startedEvent(exec: NodeExecution, containerStart?: { inputs: Record<string, unknown>; metadata: Record<string, unknown> }): NodeEvent {
  if (exec.container) {
    const data = {
      ...identity(exec),
      created_at: seconds(exec.startedAt),
      extras: {},
      metadata: json(containerStart?.metadata ?? {}),
      inputs: json(containerStart?.inputs ?? {}),
      inputs_truncated: false,
    };
    return exec.container === 'loop' ? { event: 'loop_started', data } : { event: 'iteration_started', data };
  }
  return {
    event: 'node_started',
    data: {
      // Dify 1.13's graph engine no longer numbers nodes: index is always 1, predecessor_node_id null.
      ...identity(exec),
      index: 1,
      predecessor_node_id: null,
      inputs: null,
      inputs_truncated: false,
      created_at: seconds(exec.startedAt),
      extras: {},
      iteration_id: exec.scope.iterationId,
      loop_id: exec.scope.loopId,
      agent_strategy: null,
    },
  };
}

export function nextEvent(exec: NodeExecution, index: number, previousOutput?: JsonValue): NodeEvent {
  const data = { ...identity(exec), index, created_at: seconds(Date.now()), extras: {} };
  if (exec.container === 'loop') return { event: 'loop_next', data: { ...data, ...(previousOutput !== undefined ? { pre_loop_output: previousOutput } : {}) } };
  return { event: 'iteration_next', data: { ...data, ...(previousOutput !== undefined ? { pre_iteration_output: previousOutput } : {}) } };
}

export function finishedEvent(exec: NodeExecution, outcome: NodeOutcome): NodeEvent {
  if (exec.container) {
    const data = {
      ...identity(exec),
      outputs: json(outcome.outputs),
      outputs_truncated: false,
      created_at: seconds(exec.startedAt),
      extras: {},
      inputs: json(outcome.inputs),
      inputs_truncated: false,
      // A failed container reports error null here; the inner node's error fails the run.
      status: outcome.status,
      error: outcome.status === 'failed' ? null : outcome.error,
      elapsed_time: elapsedSeconds(exec, outcome),
      total_tokens: Number(outcome.metadata?.['total_tokens'] ?? 0),
      execution_metadata: json(outcome.metadata ?? {}),
      finished_at: seconds(outcome.finishedAt),
      steps: outcome.steps ?? 0,
    };
    return exec.container === 'loop' ? { event: 'loop_completed', data } : { event: 'iteration_completed', data };
  }
  return { event: 'node_finished', data: finishedData(exec, outcome) };
}

/** A failed attempt that will be retried: node_finished's fields plus the attempt number. */
export function retryEvent(exec: NodeExecution, outcome: NodeOutcome, retryIndex: number): NodeEvent {
  return { event: 'node_retry', data: { ...finishedData(exec, outcome), status: 'retry', retry_index: retryIndex } };
}

/** The real 1.13.2 sends no extras / agent_strategy on node_finished, and process_data {} for nodes that have none. */
function finishedData(exec: NodeExecution, outcome: NodeOutcome): NodeFinishedData {
  return {
    ...identity(exec),
    index: 1,
    predecessor_node_id: null,
    inputs: json(outcome.inputs),
    inputs_truncated: false,
    process_data: json(outcome.processData ?? {}),
    process_data_truncated: false,
    outputs: json(outcome.outputs),
    outputs_truncated: false,
    status: outcome.status,
    error: outcome.error,
    elapsed_time: elapsedSeconds(exec, outcome),
    execution_metadata: json(outcome.metadata ?? null),
    created_at: seconds(exec.startedAt),
    finished_at: seconds(outcome.finishedAt),
    files: [],
    iteration_id: exec.scope.iterationId,
    loop_id: exec.scope.loopId,
  };
}

function elapsedSeconds(exec: NodeExecution, outcome: NodeOutcome): number {
  return (outcome.finishedAt - exec.startedAt) / 1000;
}

/** Pool values are JSON values (inputs are parsed JSON, node outputs are built from them); this is where that is asserted. */
function json(value: Record<string, unknown>): JsonObject;
function json(value: Record<string, unknown> | null): JsonObject | null;
function json(value: Record<string, unknown> | null): JsonObject | null {
  return value as JsonObject | null;
}

export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
