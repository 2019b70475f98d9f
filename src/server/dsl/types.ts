/**
 * The parts of a Dify app export (DSL, `kind: app` YAML) the local engine reads.
 * Each node type's own fields are declared by its module in engine/nodes/.
 */
import type { InputVariable } from '../../protocol/index.js';

export type Selector = string[];

export interface NodeBase {
  id: string;
  type: string;
  title: string;
  /** The iteration or loop node this node sits inside, if any. */
  parentId?: string | undefined;
  /** Per-node error handling: continue through a fail branch or with default values. */
  error_strategy?: 'fail-branch' | 'default-value' | 'none' | undefined;
  default_value?: { key: string; type?: string; value: unknown }[] | undefined;
  retry_config?: { retry_enabled?: boolean; max_retries?: number; retry_interval?: number } | undefined;
  raw: Record<string, unknown>;
}

/** Any node of the graph; node modules narrow it to their own type. */
export type WorkflowNode = NodeBase;

export interface StartNode extends NodeBase {
  type: 'start';
  variables: InputVariable[];
}

export interface Edge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
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
