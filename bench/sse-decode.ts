/**
 * SSE decoding throughput: the SDK's WorkflowStream against the floor any correct client pays
 * (eventsource-parser + one persistent TextDecoder + JSON.parse of each event), on the same
 * synthetic Dify stream of text_chunk events (CJK and emoji) cut into random chunk sizes.
 */
import { createParser } from 'eventsource-parser';
import { DifyClient } from '../src/index.js';
import { randomChunks, seededRandom } from '../test/helpers/chunking.js';
import { streamOf } from '../test/helpers/fake-fetch.js';
import type { BenchResult } from './report.js';

const TARGET_BYTES = 40 * 1000 * 1000;
const ROUNDS = 7;

export function syntheticStream(): { bytes: Uint8Array; events: number } {
  const run = '5ad4cb98-3f1c-4a55-9d7e-2b8f0c6e1a01';
  const task = '1d2a9e77-8b6c-4f3e-a1d0-7c5b3e9f2a10';
  const texts = ['翻訳されたテキストの断片です。', 'Hello, world! ', '数据处理完成 ✅ ', '👩‍💻🚀 emoji 🎉 ', '한국어 문장입니다. ', 'plain ascii words '];
  const parts: string[] = [
    `event: ping\n\n`,
    `data: ${JSON.stringify({ event: 'workflow_started', workflow_run_id: run, task_id: task, data: { id: run, workflow_id: 'wf', inputs: {}, created_at: 1 } })}\n\n`,
  ];
  let size = 0;
  let events = 1;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const frame = `data: ${JSON.stringify({ event: 'text_chunk', workflow_run_id: run, task_id: task, data: { text: texts[i % texts.length], from_variable_selector: ['1712', 'text'] } })}\n\n`;
    parts.push(frame);
    size += Buffer.byteLength(frame);
    events++;
    if (i % 500 === 0) parts.push('event: ping\n\n');
  }
  parts.push(
    `data: ${JSON.stringify({ event: 'workflow_finished', workflow_run_id: run, task_id: task, data: { id: run, workflow_id: 'wf', status: 'succeeded', outputs: {}, error: null, elapsed_time: 1, total_tokens: 0, total_steps: 3, created_at: 1, finished_at: 2 } })}\n\n`,
  );
  events++;
  return { bytes: new TextEncoder().encode(parts.join('')), events };
}

export function floor(chunks: Uint8Array[]): number {
  let count = 0;
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: (message) => {
      JSON.parse(message.data);
      count++;
    },
  });
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(`${decoder.decode()}\n\n`);
  return count;
}

async function sdk(chunks: Uint8Array[]): Promise<number> {
  const dify = new DifyClient({
    apiKey: 'app-bench',
    baseURL: 'http://127.0.0.1:9/v1',
    fetch: async () => new Response(streamOf(chunks), { headers: { 'content-type': 'text/event-stream' } }),
  });
  let count = 0;
  for await (const _event of dify.workflows.stream({ inputs: {}, user: 'bench' })) count++;
  return count;
}

interface Timing {
  ms: number;
  events: number;
}

/** Best of ROUNDS for each contender, rounds interleaved so warm-up and GC fall on both alike. */
async function timeInterleaved(contenders: (() => Promise<number> | number)[]): Promise<Timing[]> {
  const timings = contenders.map(() => ({ ms: Infinity, events: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, fn] of contenders.entries()) {
      const start = performance.now();
      const events = await fn();
      const ms = performance.now() - start;
      timings[i] = { ms: Math.min(timings[i]!.ms, ms), events };
    }
  }
  return timings;
}

export async function benchSseDecode(): Promise<BenchResult> {
  const { bytes, events } = syntheticStream();
  const chunks = randomChunks(bytes, seededRandom(42), 1, 16 * 1024);
  const mb = bytes.length / 1e6;
  const [base, ours] = (await timeInterleaved([() => floor(chunks), () => sdk(chunks)])) as [Timing, Timing];
  if (base.events !== events || ours.events !== events) {
    throw new Error(`event count mismatch: expected ${events}, floor ${base.events}, sdk ${ours.events}`);
  }
  const ratio = base.ms / ours.ms;
  const rows = [
    ['floor: eventsource-parser + TextDecoder + JSON.parse', base],
    ['difyrun WorkflowStream (typed events, ids, text, pings)', ours],
  ] as const;
  const table = [
    '| decoder | MB/s | events/s |',
    '|---|---:|---:|',
    ...rows.map(([name, r]) => `| ${name} | ${(mb / (r.ms / 1000)).toFixed(1)} | ${Math.round(r.events / (r.ms / 1000)).toLocaleString('en-US')} |`),
  ];
  return {
    id: 'sse-decode',
    title: 'SDK: SSE decoding throughput',
    summary:
      `${mb.toFixed(1)} MB, ${events.toLocaleString('en-US')} events, ${chunks.length.toLocaleString('en-US')} random chunks (1 B–16 KiB), best of ${ROUNDS}. ` +
      `SDK keeps **${(ratio * 100).toFixed(0)}%** of the floor's throughput (target ≥ 80%: ${ratio >= 0.8 ? 'met' : 'missed'}).`,
    table,
  };
}
