/**
 * Type-level tests, checked by `npm run typecheck` (never run): every `@ts-expect-error` line
 * must fail to compile, and every other line must compile.
 */
import { DifyClient, type WorkflowEvent, type WorkflowRunResult } from '../../src/index.js';

declare const dify: DifyClient;
declare const event: WorkflowEvent;

export async function eventFieldsAreChecked(): Promise<void> {
  if (event.event === 'text_chunk') {
    const text: string = event.data.text;
    // @ts-expect-error a misspelt field of a known event does not compile
    void event.data.txt;
    void text;
  }
  if (event.event === 'workflow_finished') {
    const status: string = event.data.status;
    // @ts-expect-error misspelt
    void event.data.statsu;
    void status;
  }
  if (event.event === 'node_finished') {
    void event.data.execution_metadata?.total_tokens;
    // @ts-expect-error misspelt
    void event.data.elapsed;
  }
  // @ts-expect-error a misspelt event name has no overlap with the names that exist
  if (event.event === 'workflow_finised') return;
}

export function unknownEventsPassThrough(): void {
  if (event.event === 'unknown') {
    const name: string = event.name;
    const data: unknown = event.data;
    const raw: Record<string, unknown> = event.raw;
    void [name, data, raw];
  }
  switch (event.event) {
    case 'workflow_started':
      // Known events keep their own types next to the unknown branch.
      void event.data.workflow_id;
      break;
    default:
      break;
  }
}

interface Translation {
  translated: string;
  rating: number;
}

export async function outputsCanBeTyped(): Promise<void> {
  const blocking = await dify.workflows.run<Translation>({ inputs: {}, user: 'u' });
  const translated: string | undefined = blocking.data.outputs?.translated;
  // @ts-expect-error outputs are typed by the caller's shape
  void blocking.data.outputs?.translation;
  // @ts-expect-error rating is a number
  const rating: string | undefined = blocking.data.outputs?.rating;

  const stream = dify.workflows.stream<Translation>({ inputs: {}, user: 'u' });
  for await (const e of stream) {
    if (e.event === 'workflow_finished') void e.data.outputs?.rating.toFixed(1);
  }
  const result: WorkflowRunResult<Translation> = await stream.finalResult();
  const viaStream = await dify.workflows.runViaStream<Translation>({ inputs: {}, user: 'u' });
  const detail = await dify.workflows.get<Translation>('5d0d1c4e-0000-4000-8000-000000000000');
  const detailRating: number = detail.outputs.rating;
  // @ts-expect-error not one of the stated outputs
  void detail.outputs.answer;

  // Without a type argument, outputs are any JSON object.
  const untyped = await dify.workflows.run({ inputs: {}, user: 'u' });
  void untyped.data.outputs?.['anything'];
  void [translated, rating, result, viaStream, detailRating];
}
