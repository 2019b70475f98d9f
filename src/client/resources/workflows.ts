/** `/workflows/*` and `/workflow/{id}/events`: run, stream, detail, stop, logs. */
import type {
  FileInput,
  JsonObject,
  StopResponse,
  WorkflowBlockingResponse,
  WorkflowInputs,
  WorkflowLogEntry,
  WorkflowLogsPage,
  WorkflowRunDetailFields,
  WorkflowRunDetailWire,
  WorkflowRunRequestBody,
} from '../../protocol/index.js';
import { assertRunId, DifyError } from '../errors.js';
import type { RequestOptions, RequestSpec, Transport } from '../transport.js';
import { WorkflowStream, type WorkflowRunResult } from '../workflow-stream.js';

export interface RunParams {
  inputs: WorkflowInputs;
  /** End-user identifier; Dify requires one. */
  user: string;
  /** Legacy `sys.files`. */
  files?: FileInput[] | undefined;
  /** Sent as the X-Trace-Id header. */
  traceId?: string | undefined;
  /** Run this published version via POST /workflows/{workflow_id}/run. */
  workflowId?: string | undefined;
}

/**
 * Stream deadlines. Each is capped by `timeout` (the request's, else the client's), so no wait
 * on a stream outlasts the configured timeout.
 */
export interface StreamOptions extends RequestOptions {
  /**
   * No bytes (not even a ping) for this long, once the run started, aborts with
   * StreamIdleTimeoutError (kind `bytes`). Before `workflow_started` only `startTimeout` applies:
   * a run waiting for a busy Dify worker is silent, and giving it up could run it twice.
   */
  streamIdleTimeout?: number | undefined;
  /** Pings but no event for this long aborts with StreamIdleTimeoutError (kind `events`; off by default). */
  eventTimeout?: number | undefined;
  /**
   * No first run event for this long after the response opened aborts with
   * StreamIdleTimeoutError (kind `start`). Default: `timeout`. Real Dify answers a streaming run
   * whose inputs it rejects with one ping and then silence; a short start deadline catches it.
   */
  startTimeout?: number | undefined;
  onPing?: (() => void) | undefined;
  /**
   * A stream silent this long after its run started (or three of the server's ping intervals
   * as seen on it, if longer) checks run detail; a run that has already ended ends the stream
   * with that result. 0 turns the check off. Default 5 s.
   */
  stallCheckAfter?: number | undefined;
}

/**
 * Run detail with `inputs` and `outputs` always parsed into objects. `O` is the outputs' shape
 * as the caller states it; a run that is still running, failed or was stopped has `{}`.
 */
export interface WorkflowRunDetail<O extends object = JsonObject> extends WorkflowRunDetailFields {
  inputs: JsonObject;
  outputs: O;
}

export interface LogsParams {
  keyword?: string | undefined;
  status?: 'succeeded' | 'failed' | 'stopped' | undefined;
  page?: number | undefined;
  limit?: number | undefined;
  /** ISO 8601 string or Date. */
  createdAtBefore?: string | Date | undefined;
  createdAtAfter?: string | Date | undefined;
  /** The `user` a run was started with. */
  endUserSessionId?: string | undefined;
  /** Account email. */
  createdByAccount?: string | undefined;
}

export interface EventsParams {
  user?: string | undefined;
  includeStateSnapshot?: boolean | undefined;
  continueOnPause?: boolean | undefined;
}

export interface WorkflowStreamDefaults {
  streamIdleTimeout: number;
  eventTimeout: number | undefined;
  startTimeout: number | undefined;
  stallCheckAfter: number;
}

export class Workflows {
  constructor(
    private readonly transport: Transport,
    private readonly streamDefaults: WorkflowStreamDefaults,
  ) {}

  /**
   * Runs the workflow in blocking mode. Not retried once the request may have reached the
   * server (see README "Retries"): Dify would execute and bill it twice.
   */
  run<O extends object = JsonObject>(params: RunParams, options?: RequestOptions): Promise<WorkflowRunResult<O>> {
    return this.transport.json<WorkflowBlockingResponse<O>>(this.#runSpec(params, 'blocking'), options);
  }

  /** Runs the workflow in streaming mode; the request starts at once. */
  stream<O extends object = JsonObject>(params: RunParams, options: StreamOptions = {}): WorkflowStream<O> {
    const spec = this.#runSpec(params, 'streaming');
    return this.#stream<O>(spec, params.user, options);
  }

  /** Streams internally (no gateway cut-off) and resolves to the same result as run(). */
  runViaStream<O extends object = JsonObject>(params: RunParams, options?: StreamOptions): Promise<WorkflowRunResult<O>> {
    return this.stream<O>(params, options).finalResult();
  }

  /** Run detail; `inputs`/`outputs` are parsed when Dify sends them as JSON strings. */
  async get<O extends object = JsonObject>(workflowRunId: string, options?: RequestOptions): Promise<WorkflowRunDetail<O>> {
    assertRunId(workflowRunId);
    const wire = await this.transport.json<WorkflowRunDetailWire>(
      { method: 'GET', path: `/workflows/run/${encodeURIComponent(workflowRunId)}`, idempotency: 'idempotent' },
      options,
    );
    const outputs = parseJsonField(wire.outputs, 'outputs') as O;
    return { ...wire, inputs: parseJsonField(wire.inputs, 'inputs'), outputs };
  }

  /** Stops a streaming run by its task id (not its run id). Dify answers success whatever the id. */
  stop(taskId: string, user: string, options?: RequestOptions): Promise<StopResponse> {
    return this.transport.json<StopResponse>(
      {
        method: 'POST',
        path: `/workflows/tasks/${encodeURIComponent(taskId)}/stop`,
        body: { user },
        idempotency: 'idempotent',
      },
      options,
    );
  }

  /** Reattaches to a run's event stream (GET /workflow/{id}/events); a finished run replays its final event. */
  events<O extends object = JsonObject>(workflowRunId: string, params: EventsParams = {}, options: StreamOptions = {}): WorkflowStream<O> {
    assertRunId(workflowRunId);
    const spec: RequestSpec = {
      method: 'GET',
      path: `/workflow/${encodeURIComponent(workflowRunId)}/events`,
      query: {
        user: params.user,
        include_state_snapshot: params.includeStateSnapshot,
        continue_on_pause: params.continueOnPause,
      },
      idempotency: 'idempotent',
      stream: true,
    };
    return this.#stream<O>(spec, params.user, options);
  }

  /** One page of run logs, newest first. */
  logs(params: LogsParams = {}, options?: RequestOptions): Promise<WorkflowLogsPage> {
    return this.transport.json<WorkflowLogsPage>(
      {
        method: 'GET',
        path: '/workflows/logs',
        query: {
          keyword: params.keyword,
          status: params.status,
          page: params.page,
          limit: params.limit,
          created_at__before: isoString(params.createdAtBefore),
          created_at__after: isoString(params.createdAtAfter),
          created_by_end_user_session_id: params.endUserSessionId,
          created_by_account: params.createdByAccount,
        },
        idempotency: 'idempotent',
      },
      options,
    );
  }

  /** Every log entry across pages, fetched lazily one page at a time. */
  async *iterateLogs(params: LogsParams = {}, options?: RequestOptions): AsyncGenerator<WorkflowLogEntry> {
    for (let page = params.page ?? 1; ; page++) {
      const result = await this.logs({ ...params, page }, options);
      yield* result.data;
      if (!result.has_more || result.data.length === 0) return;
    }
  }

  #runSpec(params: RunParams, mode: 'blocking' | 'streaming'): RequestSpec {
    const body: WorkflowRunRequestBody = { inputs: params.inputs, response_mode: mode, user: params.user };
    if (params.files !== undefined) body.files = params.files;
    const path = params.workflowId === undefined ? '/workflows/run' : `/workflows/${encodeURIComponent(params.workflowId)}/run`;
    return {
      method: 'POST',
      path,
      body,
      idempotency: 'run',
      headers: { 'X-Trace-Id': params.traceId },
      stream: mode === 'streaming',
    };
  }

  #stream<O extends object>(spec: RequestSpec, user: string | undefined, options: StreamOptions): WorkflowStream<O> {
    const { streamIdleTimeout, eventTimeout, startTimeout, onPing, signal, stallCheckAfter, ...requestOptions } = options;
    const defaults = this.streamDefaults;
    const timeout = requestOptions.timeout ?? this.transport.config.timeout;
    const capped = (ms: number | undefined) => (ms === undefined ? undefined : Math.min(ms, timeout));
    return new WorkflowStream<O>({
      open: (streamSignal) => this.transport.open(spec, { ...requestOptions, signal: streamSignal }),
      stop: (taskId, stopUser) => this.stop(taskId, stopUser, requestOptions),
      user,
      streamIdleTimeout: Math.min(streamIdleTimeout ?? defaults.streamIdleTimeout, timeout),
      eventTimeout: capped(eventTimeout ?? defaults.eventTimeout),
      startTimeout: capped(startTimeout ?? defaults.startTimeout ?? timeout),
      onPing,
      signal,
      getRun: (runId, checkSignal) => this.get(runId, { ...requestOptions, signal: checkSignal }),
      stallCheckAfter: stallCheckAfter ?? defaults.stallCheckAfter,
    });
  }
}

function parseJsonField(value: string | JsonObject | null | undefined, field: string): JsonObject {
  if (value === null || value === undefined || value === '') return {};
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonObject) : {};
  } catch {
    throw new DifyError(`Run detail field "${field}" is not valid JSON: ${value.slice(0, 80)}`);
  }
}

function isoString(value: string | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}
