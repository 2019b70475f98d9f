import type { FileTransferMethod, FileType, JsonValue } from './common.js';

/** Input variable types of a Start node. */
export type VariableType = 'text-input' | 'paragraph' | 'select' | 'number' | 'checkbox' | 'json_object' | 'file' | 'file-list' | 'external_data_tool';

/**
 * One Start-node variable, exactly as the editor saved it (key sets vary between
 * versions, so everything but `variable`, `label` and `type` is optional).
 */
export interface InputVariable {
  variable: string;
  label: string;
  type: VariableType;
  required?: boolean;
  description?: string;
  hide?: boolean;
  placeholder?: string;
  default?: JsonValue;
  max_length?: number | null;
  options?: string[];
  allowed_file_types?: FileType[];
  allowed_file_extensions?: string[];
  allowed_file_upload_methods?: FileTransferMethod[];
  json_schema?: string | JsonValue | null;
  [extra: string]: unknown;
}

/** Each `user_input_form` item is a single-key object: `{ [type]: variable }`. */
export type UserInputFormItem = { [type: string]: InputVariable };

export interface SystemParameters {
  image_file_size_limit: number;
  video_file_size_limit: number;
  audio_file_size_limit: number;
  file_size_limit: number;
  workflow_file_upload_limit: number;
}

/** `GET /parameters`. */
export interface AppParameters {
  opening_statement: string;
  suggested_questions: string[];
  suggested_questions_after_answer: { enabled: boolean };
  speech_to_text: { enabled: boolean };
  text_to_speech: { enabled: boolean; voice?: string; language?: string };
  retriever_resource: { enabled: boolean };
  annotation_reply: { enabled: boolean };
  more_like_this: { enabled: boolean };
  user_input_form: UserInputFormItem[];
  sensitive_word_avoidance: { enabled: boolean; type?: string; configs?: JsonValue[] };
  file_upload: Record<string, JsonValue>;
  system_parameters: SystemParameters;
}

/** Flattens `user_input_form` into its variables, in Start-node order. */
export function inputVariables(params: Pick<AppParameters, 'user_input_form'>): InputVariable[] {
  const out: InputVariable[] = [];
  for (const item of params.user_input_form ?? []) {
    const [type] = Object.keys(item);
    if (type === undefined) continue;
    const variable = item[type]!;
    out.push({ ...variable, type: (variable.type ?? type) as VariableType });
  }
  return out;
}
