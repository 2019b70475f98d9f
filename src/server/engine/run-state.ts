/** What every graph walk of one run shares: the run's options, counters and event sink. */
import type { WorkflowApp, WorkflowNode } from '../dsl/types.js';
import type { NodeResult } from './node-context.js';
import type { NodeExecution } from './node-events.js';
import type { WalkProgress } from './end-stream.js';
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
  /** A top-level node finished: the real server's graph engine reads its commands (a stop among them) here. */
  topLevelNodeFinished(): void;
  /** A top-level node just started: true when the engine aborts the run now (the node never runs). */
  abortsAfterStart(): boolean;
  /** Running node executions; a stop abandons them without a finish event, as the real server does. */
  track(exec: NodeExecution): void;
  /** False when the run was stopped while the execution ran. */
  untrack(exec: NodeExecution): boolean;
  addTokens(tokens: number): void;
  noteException(): void;
  nodeSucceeded(node: WorkflowNode, result: NodeResult): void;
  streamsLive(nodeId: string): boolean;
  /** A top-level node completed: End outputs whose values now exist stream out. */
  streamEndOutputs(progress: WalkProgress): void;
}
