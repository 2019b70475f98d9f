/**
 * What a workflow stream adds up to: the text of its `text_chunk` events (honouring
 * `text_replace`) and the run's result, built from `workflow_finished` or `workflow_paused`
 * in the same shape as a blocking response.
 */
import type { JsonObject, WorkflowBlockingResponse, WorkflowPausedEvent } from '../protocol/index.js';
import type { WorkflowRunDetail } from './resources/workflows.js';
import type { WorkflowEvent } from './workflow-events.js';

/**
 * The outcome of a run: the blocking response, or the same built from `workflow_finished`.
 * `O` is the outputs' shape as the caller states it (Dify does not check it).
 */
export type WorkflowRunResult<O extends object = JsonObject> = WorkflowBlockingResponse<O>;

/** Text chunks joined into one string at a time, so the chunks die young (see #addText). */
const TEXT_PARTS_PER_BLOCK = 256;

export class RunAccumulator<O extends object = JsonObject> {
  /** The text so far: joined blocks, then the latest chunks. */
  #textBlocks: string[] = [];
  #textParts: string[] = [];
  #result: WorkflowRunResult<O> | undefined;

  get text(): string {
    return this.#textBlocks.join('') + this.#textParts.join('');
  }

  /** Set once the terminal event has been seen. */
  get result(): WorkflowRunResult<O> | undefined {
    return this.#result;
  }

  add(event: WorkflowEvent<O>): void {
    switch (event.event) {
      case 'text_chunk':
        this.#addText(event.data.text);
        break;
      case 'text_replace':
        this.#textBlocks = [];
        this.#textParts = [event.data.text];
        break;
      case 'workflow_finished':
        this.#result = { task_id: event.task_id, workflow_run_id: event.workflow_run_id, data: { ...event.data } };
        break;
      case 'workflow_paused':
        this.#result = resultFromPause(event);
        break;
      default:
        break;
    }
  }

  /**
   * Keeping every chunk's string alive for the whole run made the garbage collector copy each
   * one out of the young generation (a tenth of a long stream's decoding time); a block of
   * chunks joined into one string lets the chunks die where they were made.
   */
  #addText(text: string): void {
    this.#textParts.push(text);
    if (this.#textParts.length < TEXT_PARTS_PER_BLOCK) return;
    this.#textBlocks.push(this.#textParts.join(''));
    this.#textParts = [];
  }
}

function resultFromPause<O extends object>(event: WorkflowPausedEvent<O>): WorkflowRunResult<O> {
  const d = event.data;
  return {
    task_id: event.task_id,
    workflow_run_id: event.workflow_run_id,
    data: {
      id: event.workflow_run_id,
      workflow_id: d.workflow_id ?? '',
      status: 'paused',
      outputs: d.outputs ?? ({} as O),
      error: null,
      elapsed_time: d.elapsed_time,
      total_tokens: d.total_tokens,
      total_steps: d.total_steps,
      created_at: d.created_at,
      finished_at: null,
    },
  };
}

/** Run detail in the shape of a blocking response (its task id, when known: detail has none). */
export function resultFromDetail<O extends object = JsonObject>(detail: WorkflowRunDetail<O>, taskId = ''): WorkflowRunResult<O> {
  return {
    task_id: taskId,
    workflow_run_id: detail.id,
    data: {
      id: detail.id,
      workflow_id: detail.workflow_id,
      status: detail.status,
      outputs: detail.outputs,
      error: detail.error,
      elapsed_time: detail.elapsed_time,
      total_tokens: detail.total_tokens,
      total_steps: detail.total_steps,
      created_at: detail.created_at,
      finished_at: detail.finished_at ?? detail.created_at,
    },
  };
}
