/**
 * Dify's names on top of raw stream events: a known event is typed by its `event` name, an
 * unknown one passes through untouched, and an `error` event becomes a thrown DifyStreamError.
 */
import type { ErrorEvent, JsonObject, KnownWorkflowEvent } from '../protocol/index.js';
import { WORKFLOW_EVENT_NAMES } from '../protocol/index.js';
import { DifyStreamError, type StreamProgress } from './errors.js';

/**
 * An event this SDK does not know yet, passed through with its JSON untouched. Its `event` is
 * the literal "unknown" (the server's name is in `name`), so checking for a misspelt known
 * name still fails to compile.
 */
export interface UnknownWorkflowEvent {
  event: 'unknown';
  /** The event name the server sent. */
  name: string;
  data: unknown;
  raw: Record<string, unknown>;
}

/** What iterating a WorkflowStream yields (`error` events are thrown, not yielded). */
export type WorkflowEvent<O extends object = JsonObject> = Exclude<KnownWorkflowEvent<O>, ErrorEvent> | UnknownWorkflowEvent;

const KNOWN_EVENTS: ReadonlySet<string> = new Set(WORKFLOW_EVENT_NAMES);

/** Types a raw event by its name; throws DifyStreamError for an `error` event. */
export function toWorkflowEvent<O extends object>(name: string, raw: Record<string, unknown>, progress: () => StreamProgress): WorkflowEvent<O> {
  if (name === 'error') {
    const error = raw as unknown as ErrorEvent;
    throw new DifyStreamError(
      typeof error.message === 'string' ? error.message : 'The workflow stream reported an error',
      typeof error.code === 'string' ? error.code : undefined,
      typeof error.status === 'number' ? error.status : undefined,
      progress(),
    );
  }
  if (!KNOWN_EVENTS.has(name)) return { event: 'unknown', name, data: raw['data'], raw };
  return raw as unknown as WorkflowEvent<O>;
}
