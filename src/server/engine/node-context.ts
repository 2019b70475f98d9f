/** What a node executor gets, and what it returns. */
import type { VariablePool } from './variable-pool.js';
import type { Sandbox } from './sandbox/sandbox.js';

export interface LlmSettings {
  /** Tokens streamed per second by the local LLM stand-in (0 = as fast as possible). */
  tokensPerSecond: number;
  /** Price per 1,000 tokens, reported in execution_metadata. */
  pricePer1kTokens: number;
  currency: string;
}

export interface NodeContext {
  pool: VariablePool;
  sandbox: Sandbox;
  llm: LlmSettings;
  /** Aborted when the run is stopped. */
  signal: AbortSignal;
  /** Streams text live as text_chunk (only for outputs the End node streams). */
  streamText: (text: string) => void;
  /** True when this node's `text` output is streamed live to the client. */
  streamsLive: boolean;
}

export interface NodeResult {
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown>;
  processData?: Record<string, unknown> | null;
  /** if-else: the sourceHandle to follow. */
  handle?: string;
  metadata?: { total_tokens?: number; total_price?: number; currency?: string } | null;
}

/** A failure inside a node: the node is marked failed with this message. */
export class NodeError extends Error {
  override name = 'NodeError';
  constructor(
    message: string,
    readonly errorType = 'NodeError',
  ) {
    super(message);
  }
}
