/**
 * Error bodies Dify sends. The current envelope is `{code, message, status}`; flask-restx
 * reqparse errors (Dify 1.8–1.10) bypass it and send `{errors, message}` with no code.
 */
export interface ErrorEnvelope {
  code: string;
  message: string;
  status: number;
  /** Present when the failing parameter is known (400 with a mapping description). */
  params?: string;
}

/** The pre-1.11 validation body, without `code`. */
export interface LegacyErrorEnvelope {
  errors?: Record<string, string>;
  message: string;
}

/** Error codes the Workflow App API is known to emit (others may appear). */
export type KnownErrorCode =
  | 'invalid_param'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'not_workflow_app'
  | 'app_unavailable'
  | 'provider_not_initialize'
  | 'provider_quota_exceeded'
  | 'model_currently_not_support'
  | 'completion_request_error'
  | 'no_file_uploaded'
  | 'too_many_files'
  | 'filename_not_exists_error'
  | 'file_too_large'
  | 'unsupported_file_type'
  | 'file_not_found'
  | 'file_access_denied'
  | 'too_many_requests'
  | 'rate_limit_error'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'internal_server_error';
