/**
 * Every event of a workflow SSE stream (Dify 1.13, as documented for POST /workflows/run).
 *
 * On the wire each event is one `data: {json}` frame whose JSON carries the name in `event`;
 * the key order is event, workflow_run_id, task_id, data. `ping` is not JSON (it is
 * `event: ping` with no data) and is not part of this union.
 *
 * The data types list the fields Dify sends and nothing more (no index signatures), so a
 * misspelt field fails to compile; fields a newer Dify adds still arrive at runtime. `O` is the
 * shape of the workflow's outputs for callers who know it (default: any JSON object).
 */
import type { JsonObject, JsonValue, NodeStatus } from './common.js';
import type { WorkflowRunFields } from './responses.js';

interface EventBase<E extends string> {
  event: E;
  workflow_run_id: string;
  task_id: string;
}

/** What node_started and node_finished share. */
interface NodeExecutionData {
  /** Node *execution* id (a new UUID per execution). */
  id: string;
  /** Graph node id. */
  node_id: string;
  node_type: string;
  title: string;
  /** 1-based execution order (Dify 1.13 sends 1 for every node). */
  index: number;
  predecessor_node_id: string | null;
  inputs: JsonObject | null;
  inputs_truncated?: boolean;
  created_at: number;
  iteration_id: string | null;
  loop_id: string | null;
}

export interface NodeStartedData extends NodeExecutionData {
  extras: JsonObject;
  agent_strategy?: JsonValue;
}

export interface NodeExecutionMetadata {
  total_tokens?: number;
  total_price?: number | string;
  currency?: string;
  iteration_id?: string;
  iteration_index?: number;
  loop_id?: string;
  loop_index?: number;
  parallel_mode_run_id?: string;
  tool_info?: JsonObject;
  agent_log?: JsonValue[];
  error_strategy?: string;
}

/** Dify 1.13 sends no `extras` or `agent_strategy` here (older versions did). */
export interface NodeFinishedData extends NodeExecutionData {
  extras?: JsonObject;
  process_data: JsonObject | null;
  process_data_truncated?: boolean;
  outputs: JsonObject | null;
  outputs_truncated?: boolean;
  status: NodeStatus;
  error: string | null;
  elapsed_time: number;
  execution_metadata: NodeExecutionMetadata | null;
  finished_at: number;
  files?: JsonValue[];
}

export interface WorkflowStartedEvent extends EventBase<'workflow_started'> {
  data: {
    id: string;
    workflow_id: string;
    inputs: JsonObject;
    created_at: number;
    reason?: 'initial' | 'resumption';
  };
}

export interface NodeStartedEvent extends EventBase<'node_started'> {
  data: NodeStartedData;
}

export interface NodeFinishedEvent extends EventBase<'node_finished'> {
  data: NodeFinishedData;
}

export interface NodeRetryEvent extends EventBase<'node_retry'> {
  data: NodeFinishedData & { retry_index: number };
}

interface ContainerStartedData {
  id: string;
  node_id: string;
  node_type: string;
  title: string;
  created_at: number;
  extras: JsonObject;
  metadata?: JsonObject | null;
  inputs: JsonObject | null;
  inputs_truncated?: boolean;
}

interface ContainerNextData {
  id: string;
  node_id: string;
  node_type: string;
  title: string;
  index: number;
  created_at: number;
  extras: JsonObject;
}

interface ContainerCompletedData extends ContainerStartedData {
  outputs: JsonObject | null;
  outputs_truncated?: boolean;
  status: NodeStatus;
  error: string | null;
  elapsed_time: number;
  total_tokens: number;
  execution_metadata: NodeExecutionMetadata | null;
  finished_at: number;
  steps: number;
}

export interface IterationStartedEvent extends EventBase<'iteration_started'> {
  data: ContainerStartedData;
}
export interface IterationNextEvent extends EventBase<'iteration_next'> {
  data: ContainerNextData & { pre_iteration_output?: JsonValue };
}
export interface IterationCompletedEvent extends EventBase<'iteration_completed'> {
  data: ContainerCompletedData;
}
export interface LoopStartedEvent extends EventBase<'loop_started'> {
  data: ContainerStartedData;
}
export interface LoopNextEvent extends EventBase<'loop_next'> {
  data: ContainerNextData & { pre_loop_output?: JsonValue };
}
export interface LoopCompletedEvent extends EventBase<'loop_completed'> {
  data: ContainerCompletedData;
}

export interface TextChunkEvent extends EventBase<'text_chunk'> {
  data: { text: string; from_variable_selector: string[] | null };
}

/** Replaces all text streamed so far (e.g. after output moderation). */
export interface TextReplaceEvent extends EventBase<'text_replace'> {
  data: { text: string };
}

export interface ReasoningChunkEvent extends EventBase<'reasoning_chunk'> {
  data: { reasoning: string; node_id: string; is_final: boolean };
}

export interface AgentLogEvent extends EventBase<'agent_log'> {
  data: {
    node_execution_id: string;
    id: string;
    label: string;
    parent_id: string | null;
    error: string | null;
    status: string;
    data: JsonValue;
    metadata: JsonValue;
    node_id: string;
  };
}

/** TTS events carry base64 `audio` at the top level and no `data`. */
export interface TtsMessageEvent extends EventBase<'tts_message'> {
  audio: string;
  message_id?: string;
  created_at?: number;
}
export interface TtsMessageEndEvent extends EventBase<'tts_message_end'> {
  audio: string;
  message_id?: string;
  created_at?: number;
}

export interface HumanInputRequiredEvent extends EventBase<'human_input_required'> {
  data: {
    form_id: string;
    form_token: string;
    node_id: string;
    node_title: string;
    form_content: string;
    inputs: { type: string; output_variable_name: string; default: JsonValue }[];
    actions: { id: string; title: string; button_style: string }[];
    display_in_ui: boolean;
    resolved_default_values: JsonObject;
    expiration_time: number | null;
  };
}
export interface HumanInputFormFilledEvent extends EventBase<'human_input_form_filled'> {
  data: JsonObject;
}
export interface HumanInputFormTimeoutEvent extends EventBase<'human_input_form_timeout'> {
  data: JsonObject;
}

export interface WorkflowPausedEvent<O extends object = JsonObject> extends EventBase<'workflow_paused'> {
  data: {
    workflow_run_id: string;
    /** Sent by some versions; the run's result falls back to "" without it. */
    workflow_id?: string;
    paused_nodes: JsonValue[];
    outputs: O | null;
    reasons: JsonValue[];
    status: 'paused';
    created_at: number;
    elapsed_time: number;
    total_tokens: number;
    total_steps: number;
  };
}

/** `O` types the outputs (`{}` for a stopped run; partial or `{}` for a failed one). */
export interface WorkflowFinishedData<O extends object = JsonObject> extends WorkflowRunFields<O> {
  created_by?: JsonObject;
  finished_at: number;
  exceptions_count?: number;
  files?: JsonValue[];
  /** Not sent by Dify; some forks and the local server add cost details here. */
  total_price?: number | string;
  currency?: string;
}

export interface WorkflowFinishedEvent<O extends object = JsonObject> extends EventBase<'workflow_finished'> {
  data: WorkflowFinishedData<O>;
}

/**
 * An error inside a 200 stream. The pipeline form has `code`, `message`, `status` and a
 * nullable `workflow_run_id`; the 1.11+ worker form has only `message` and `status`. Every
 * key but `event` and `message` may be absent.
 */
export interface ErrorEvent {
  event: 'error';
  message: string;
  code?: string;
  status?: number;
  workflow_run_id?: string | null;
  task_id?: string;
}

/** Every event name Dify documents (ping excluded: it is not a data event). */
export const WORKFLOW_EVENT_NAMES = [
  'workflow_started',
  'node_started',
  'node_finished',
  'node_retry',
  'iteration_started',
  'iteration_next',
  'iteration_completed',
  'loop_started',
  'loop_next',
  'loop_completed',
  'text_chunk',
  'text_replace',
  'reasoning_chunk',
  'agent_log',
  'tts_message',
  'tts_message_end',
  'human_input_required',
  'human_input_form_filled',
  'human_input_form_timeout',
  'workflow_paused',
  'workflow_finished',
  'error',
] as const;

export type KnownWorkflowEventName = (typeof WORKFLOW_EVENT_NAMES)[number];

/** The documented events, discriminated on `event`; `O` types the outputs of the final events. */
export type KnownWorkflowEvent<O extends object = JsonObject> =
  | WorkflowStartedEvent
  | NodeStartedEvent
  | NodeFinishedEvent
  | NodeRetryEvent
  | IterationStartedEvent
  | IterationNextEvent
  | IterationCompletedEvent
  | LoopStartedEvent
  | LoopNextEvent
  | LoopCompletedEvent
  | TextChunkEvent
  | TextReplaceEvent
  | ReasoningChunkEvent
  | AgentLogEvent
  | TtsMessageEvent
  | TtsMessageEndEvent
  | HumanInputRequiredEvent
  | HumanInputFormFilledEvent
  | HumanInputFormTimeoutEvent
  | WorkflowPausedEvent<O>
  | WorkflowFinishedEvent<O>
  | ErrorEvent;
