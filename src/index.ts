/**
 * difyrun: a typed client for the Dify Workflow App API.
 * This entry is runtime-agnostic (fetch, Web Streams, FormData, Blob only).
 */
export { DifyClient, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_STREAM_IDLE_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from './client/client.js';
export type { ClientOptions } from './client/client.js';
export * from './client/errors.js';
export type { FetchLike, RequestOptions } from './client/transport.js';
export { WorkflowStream } from './client/workflow-stream.js';
export type { UnknownWorkflowEvent, WorkflowEvent } from './client/workflow-events.js';
export type { WorkflowRunResult } from './client/run-result.js';
export { Workflows } from './client/resources/workflows.js';
export type { EventsParams, LogsParams, RunParams, StreamOptions, WorkflowRunDetail } from './client/resources/workflows.js';
export { Files } from './client/resources/files.js';
export type { Uploadable, UploadParams } from './client/resources/files.js';
export { App } from './client/resources/app.js';
export { SSEDecoder } from './client/sse-decoder.js';
export type { SSEMessage } from './client/sse-decoder.js';
export { isRetryable, isRejectedByRateLimiter, retryDelayMs } from './client/retry-policy.js';
export * from './protocol/index.js';
export { VERSION } from './version.js';
