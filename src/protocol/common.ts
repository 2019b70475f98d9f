/**
 * Shapes shared by several endpoints. Timestamps on the wire are integer Unix seconds;
 * durations (`elapsed_time`) are float seconds.
 */

/** Status of a workflow run as Dify reports it. */
export type WorkflowRunStatus = 'running' | 'succeeded' | 'failed' | 'stopped' | 'partial-succeeded' | 'paused';

/** Status of one node execution. */
export type NodeStatus = 'running' | 'succeeded' | 'failed' | 'exception' | 'stopped' | 'retry' | 'paused';

/** A JSON value as it travels on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The kinds of file Dify distinguishes for inputs. */
export type FileType = 'document' | 'image' | 'audio' | 'video' | 'custom';
export type FileTransferMethod = 'local_file' | 'remote_url' | 'tool_file' | 'datasource_file';

/** A file reference inside `inputs` (type file / file-list) or the legacy top-level `files`. */
export type FileInput =
  | { type: FileType; transfer_method: 'local_file'; upload_file_id: string }
  | { type: FileType; transfer_method: 'remote_url'; url: string }
  | { type: FileType; transfer_method: 'tool_file' | 'datasource_file'; [key: string]: JsonValue };

/** A value one input variable can take. */
export type InputValue = string | number | boolean | null | FileInput | FileInput[] | JsonObject | JsonValue[];
export type WorkflowInputs = Record<string, InputValue>;
