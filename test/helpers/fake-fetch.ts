/** A fetch that answers every call with a streamed body made of the given chunks. */
import type { FetchLike } from '../../src/index.js';

export function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

export function sseFetch(chunks: Uint8Array[]): FetchLike {
  return async () => new Response(streamOf(chunks), { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}
