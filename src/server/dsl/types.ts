/** The parts of a Dify app export (DSL, `kind: app` YAML) the local engine reads. */
import type { InputVariable } from '../../protocol/index.js';

export type Selector = string[];

export interface NodeBase {
  id: string;
  type: string;
  title: string;
  /** Per-node error handling: continue through a fail branch or with default values. */
  error_strategy?: 'fail-branch' | 'default-value' | 'none' | undefined;
  default_value?: { key: string; type?: string; value: unknown }[] | undefined;
  retry_config?: { retry_enabled?: boolean; max_retries?: number; retry_interval?: number } | undefined;
  raw: Record<string, unknown>;
}

export interface StartNode extends NodeBase {
  type: 'start';
  variables: InputVariable[];
}

export interface EndNode extends NodeBase {
  type: 'end';
  outputs: { variable: string; value_selector: Selector; value_type?: string }[];
}

export interface TemplateNode extends NodeBase {
  type: 'template-transform';
  template: string;
  variables: { variable: string; value_selector: Selector }[];
}

export interface Condition {
  variable_selector: Selector;
  comparison_operator: string;
  value?: unknown;
  varType?: string;
}

export interface IfElseCase {
  case_id: string;
  logical_operator: 'and' | 'or';
  conditions: Condition[];
}

export interface IfElseNode extends NodeBase {
  type: 'if-else';
  cases: IfElseCase[];
}

export interface AggregatorGroup {
  group_name: string;
  output_type?: string;
  variables: Selector[];
}

export interface AggregatorNode extends NodeBase {
  type: 'variable-aggregator' | 'variable-assigner';
  variables: Selector[];
  groups: AggregatorGroup[] | undefined;
}

export interface CodeNode extends NodeBase {
  type: 'code';
  code_language: 'javascript' | 'python3';
  code: string;
  variables: { variable: string; value_selector: Selector }[];
  outputs: Record<string, { type: string; children?: unknown }>;
}

export interface LlmMessage {
  role: string;
  text: string;
  edition_type?: 'basic' | 'jinja2';
  jinja2_text?: string;
}

export interface LlmNode extends NodeBase {
  type: 'llm';
  messages: LlmMessage[];
  model: { provider?: string; name?: string; mode?: string };
  /** Variables for jinja2 prompts. */
  prompt_variables: { variable: string; value_selector: Selector }[];
}

export type WorkflowNode = StartNode | EndNode | TemplateNode | IfElseNode | AggregatorNode | CodeNode | LlmNode;

export interface Edge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
}

export interface EnvironmentVariable {
  name: string;
  value: unknown;
  value_type: string;
}

export interface WorkflowApp {
  name: string;
  description: string;
  icon: string;
  icon_background: string;
  dslVersion: string;
  nodes: Map<string, WorkflowNode>;
  edges: Edge[];
  start: StartNode;
  environment: Record<string, unknown>;
  /** features as exported (file_upload, text_to_speech …), echoed by /parameters. */
  features: Record<string, unknown>;
  /** A stable id derived from the file's content, used as workflow_id. */
  workflowId: string;
  /** The published-version label shown in logs. */
  version: string;
}
