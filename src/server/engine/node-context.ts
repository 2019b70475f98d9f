/** What a node executor gets, and what it returns. */
import type { JsonValue } from '../../protocol/index.js';
import type { NodeBase, Selector } from '../dsl/types.js';
import type { VariablePool } from './variable-pool.js';
import type { Sandbox } from './sandbox/sandbox.js';

export interface LlmSettings {
  /** Tokens streamed per second by the local LLM stand-in (0 = as fast as possible). */
  tokensPerSecond: number;
  /** Price per 1,000 tokens, reported in execution_metadata. */
  pricePer1kTokens: number;
  currency: string;
}

/** Where a node runs: at the top level, or inside one round of an iteration or loop. */
export interface Scope {
  iterationId: string | null;
  loopId: string | null;
}

export interface InnerRun {
  /** The container-start node (iteration-start / loop-start) the round begins at. */
  startNodeId: string;
  /** The round's variables: a child of the container's pool. */
  pool: VariablePool;
  scope: Scope;
  /** Parallel rounds: hold the round's events back and send them together when it ends. */
  buffered?: boolean;
}

export interface NodeContext {
  pool: VariablePool;
  sandbox: Sandbox;
  llm: LlmSettings;
  /** The bytes of an upload by id, when the server provides them. */
  readUpload: ((id: string) => Promise<Uint8Array | undefined>) | undefined;
  /** Aborted when the run is stopped. */
  signal: AbortSignal;
  /** The run's validated inputs plus sys.* (what the start node outputs). */
  runInputs: Record<string, unknown>;
  /** Streams text live as text_chunk (only for outputs the End node streams). */
  streamText: (text: string) => void;
  /** True when this node's `text` output is streamed live to the client. */
  streamsLive: boolean;
  /** Containers: runs the nodes inside once; rejects with a NodeError when one of them fails. */
  runInner: (round: InnerRun) => Promise<void>;
  /** Containers: announces the next round (iteration_next / loop_next). */
  nextRound: (index: number, previousOutput?: JsonValue) => void;
  /** Containers: the nodes inside. */
  innerNodes: (containerId: string) => NodeBase[];
  /** The node's id and the scope it runs in. */
  nodeId: string;
  scope: Scope;
}

export interface NodeResult {
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown>;
  /** What later nodes read, when it differs from the reported outputs (a loop that ran no round still holds its variables). */
  values?: Record<string, unknown>;
  processData?: Record<string, unknown> | null;
  /** The sourceHandle to follow (if-else cases, question-classifier classes). */
  handle?: string;
  metadata?: { total_tokens?: number; [key: string]: unknown } | null;
  /** Containers: how many rounds ran (the `steps` of iteration_completed / loop_completed). */
  steps?: number;
}

/** A failure inside a node: the node is marked failed with this message. */
export class NodeError extends Error {
  override name = 'NodeError';
  constructor(
    message: string,
    readonly errorType = 'NodeError',
    /** What the node had read and produced before it failed, reported in its finish event. */
    readonly partial: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; steps?: number; reportedError?: string } = {},
  ) {
    super(message);
  }
}

export type { Selector };
