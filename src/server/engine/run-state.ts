/** What every graph walk of one run shares: the run's options, counters and event sink. */
import type { WorkflowApp, WorkflowNode } from '../dsl/types.js';
import type { NodeResult } from './node-context.js';
import type { NodeExecution } from './node-events.js';
import type { RunGraphOptions } from './run-graph.js';

export interface RunState {
  readonly options: RunGraphOptions;
  readonly app: WorkflowApp;
  /** The validated inputs plus sys.*, as the start node outputs them. */
  readonly runInputs: Record<string, unknown>;
  readonly maxSteps: number;
  emit(event: string, data: Record<string, unknown>): void;
  now(): number;
  /** The next step's index, or undefined once the step limit is reached. */
  nextStep(): number | undefined;
  /** True once the run was stopped or failed: nothing new starts. */
  halted(): boolean;
  /** Running node executions, reported as stopped when the run is stopped. */
  track(exec: NodeExecution): void;
  /** False when the execution was already reported as stopped. */
  untrack(exec: NodeExecution): boolean;
  addTokens(tokens: number): void;
  noteException(): void;
  nodeSucceeded(node: WorkflowNode, result: NodeResult): void;
  streamsLive(nodeId: string): boolean;
  emitNext(exec: NodeExecution, index: number, extra?: Record<string, unknown>): void;
  /** A top-level node's values entered the pool. */
  valuesChanged(): void;
  /** A top-level node's outgoing edges were decided (or it was skipped). */
  routed(nodeId: string, skipped?: boolean): void;
}
