/**
 * Raw Dify SSE bodies and what a correct client makes of them. Each is fed to the SDK in
 * every chunking (whole, one byte at a time, every split point, random sizes).
 */

export type Outcome =
  | { kind: 'finished'; status: string; outputs: Record<string, unknown> }
  | { kind: 'paused' }
  | { kind: 'stream-error'; message: string; code: string | undefined; status: number | undefined }
  | { kind: 'ended'; workflowRunId: string | undefined; taskId: string | undefined };

export interface SSEFixture {
  name: string;
  body: string;
  /** Names of the yielded events, in order ('unknown:<name>' for unknown ones). */
  events: string[];
  pings: number;
  text: string;
  outcome: Outcome;
}

const RUN = 'b7f6a3c2-0001-4000-8000-000000000001';
const TASK = 'c9e1d2f0-0002-4000-8000-000000000002';

function frame(event: string, data: Record<string, unknown>): string {
  return `data: ${JSON.stringify({ event, workflow_run_id: RUN, task_id: TASK, data })}\n\n`;
}

const started = frame('workflow_started', { id: RUN, workflow_id: 'wf-1', inputs: { q: '你好' }, created_at: 1700000000 });
const nodeStarted = frame('node_started', {
  id: 'exec-1',
  node_id: '1711',
  node_type: 'start',
  title: 'Start',
  index: 1,
  predecessor_node_id: null,
  inputs: null,
  created_at: 1700000000,
  extras: {},
  iteration_id: null,
  loop_id: null,
});
const chunk = (text: string) => frame('text_chunk', { text, from_variable_selector: ['1712', 'text'] });
const finished = (outputs: Record<string, unknown>) =>
  frame('workflow_finished', {
    id: RUN,
    workflow_id: 'wf-1',
    status: 'succeeded',
    outputs,
    error: null,
    elapsed_time: 0.25,
    total_tokens: 12,
    total_steps: 3,
    created_at: 1700000000,
    finished_at: 1700000001,
    exceptions_count: 0,
    files: [],
  });

const CJK = '日本語のテキスト、中文文本，한국어 텍스트';
const EMOJI = '👩‍💻🚀✨ café';

export const SSE_FIXTURES: SSEFixture[] = [
  {
    name: 'ping without data, then a full run',
    body: `event: ping\n\n${started}${nodeStarted}${chunk('Hello')}event: ping\n\n${finished({ answer: 'Hello' })}`,
    events: ['workflow_started', 'node_started', 'text_chunk', 'workflow_finished'],
    pings: 2,
    text: 'Hello',
    outcome: { kind: 'finished', status: 'succeeded', outputs: { answer: 'Hello' } },
  },
  {
    name: 'CRLF line endings',
    body: `event: ping\r\n\r\n${started}${chunk('crlf')}${finished({ a: 1 })}`.replace(/\n/g, '\r\n').replace(/\r\r\n/g, '\r\n'),
    events: ['workflow_started', 'text_chunk', 'workflow_finished'],
    pings: 1,
    text: 'crlf',
    outcome: { kind: 'finished', status: 'succeeded', outputs: { a: 1 } },
  },
  {
    name: 'lone CR line endings',
    body: `event: ping\n\n${started}${chunk('cr')}${finished({ a: 2 })}`.replace(/\n/g, '\r'),
    events: ['workflow_started', 'text_chunk', 'workflow_finished'],
    pings: 1,
    text: 'cr',
    outcome: { kind: 'finished', status: 'succeeded', outputs: { a: 2 } },
  },
  {
    name: 'CJK and emoji split across chunks',
    body: `${started}${chunk(CJK)}${chunk(EMOJI)}${finished({ text: CJK + EMOJI })}`,
    events: ['workflow_started', 'text_chunk', 'text_chunk', 'workflow_finished'],
    pings: 0,
    text: CJK + EMOJI,
    outcome: { kind: 'finished', status: 'succeeded', outputs: { text: CJK + EMOJI } },
  },
  {
    name: 'multi-line data joined with a newline',
    body: `${started}data: {"event":"text_chunk","workflow_run_id":"${RUN}",\ndata: "task_id":"${TASK}","data":{"text":"multi","from_variable_selector":null}}\n\n${finished({})}`,
    events: ['workflow_started', 'text_chunk', 'workflow_finished'],
    pings: 0,
    text: 'multi',
    outcome: { kind: 'finished', status: 'succeeded', outputs: {} },
  },
  {
    name: 'comments are ignored',
    body: `: keep-alive\n\n${started}: another comment\n${chunk('c')}${finished({})}`,
    events: ['workflow_started', 'text_chunk', 'workflow_finished'],
    pings: 0,
    text: 'c',
    outcome: { kind: 'finished', status: 'succeeded', outputs: {} },
  },
  {
    name: 'final event without a trailing blank line',
    body: `${started}${finished({ last: true })}`.replace(/\n\n$/, ''),
    events: ['workflow_started', 'workflow_finished'],
    pings: 0,
    text: '',
    outcome: { kind: 'finished', status: 'succeeded', outputs: { last: true } },
  },
  {
    name: 'error event with code (pipeline form)',
    body: `${started}data: {"event":"error","workflow_run_id":"${RUN}","code":"invalid_param","message":"query is required in input form","status":400}\n\n`,
    events: ['workflow_started'],
    pings: 0,
    text: '',
    outcome: { kind: 'stream-error', message: 'query is required in input form', code: 'invalid_param', status: 400 },
  },
  {
    name: 'error event without code (1.11+ worker form)',
    body: `event: ping\n\ndata: {"event":"error","message":"query is required in input form","status":500}\n\n`,
    events: [],
    pings: 1,
    text: '',
    outcome: { kind: 'stream-error', message: 'query is required in input form', code: undefined, status: 500 },
  },
  {
    name: 'EOF without workflow_finished',
    body: `event: ping\n\n${started}${nodeStarted}${chunk('partial')}`,
    events: ['workflow_started', 'node_started', 'text_chunk'],
    pings: 1,
    text: 'partial',
    outcome: { kind: 'ended', workflowRunId: RUN, taskId: TASK },
  },
  {
    name: 'unknown event types pass through',
    body: `${started}data: {"event":"future_event","workflow_run_id":"${RUN}","task_id":"${TASK}","data":{"x":1}}\n\n${finished({})}`,
    events: ['workflow_started', 'unknown:future_event', 'workflow_finished'],
    pings: 0,
    text: '',
    outcome: { kind: 'finished', status: 'succeeded', outputs: {} },
  },
  {
    name: 'text_replace replaces the text so far',
    body: `${started}${chunk('bad words')}${frame('text_replace', { text: 'clean' })}${chunk('!')}${finished({})}`,
    events: ['workflow_started', 'text_chunk', 'text_replace', 'text_chunk', 'workflow_finished'],
    pings: 0,
    text: 'clean!',
    outcome: { kind: 'finished', status: 'succeeded', outputs: {} },
  },
  {
    name: '"event: ping" inside data is text, not a heartbeat',
    body: `${started}${chunk('\nevent: ping\n')}event:ping\n\n${finished({})}`,
    events: ['workflow_started', 'text_chunk', 'workflow_finished'],
    pings: 1,
    text: '\nevent: ping\n',
    outcome: { kind: 'finished', status: 'succeeded', outputs: {} },
  },
  {
    name: 'lines ending in "ping" that are not "event: ping" are not heartbeats',
    body: `${started}event: pingping\nevent:  ping\n: ping\nxevent: ping\n${chunk('ping')}event: ping\r\n\r\n${finished({})}`,
    events: ['workflow_started', 'text_chunk', 'workflow_finished'],
    pings: 1,
    text: 'ping',
    outcome: { kind: 'finished', status: 'succeeded', outputs: {} },
  },
  {
    name: 'workflow_paused ends the stream',
    body: `${started}data: {"event":"workflow_paused","workflow_run_id":"${RUN}","task_id":"${TASK}","data":{"workflow_run_id":"${RUN}","paused_nodes":["n1"],"outputs":{},"reasons":[],"status":"paused","created_at":1700000000,"elapsed_time":1.5,"total_tokens":0,"total_steps":2}}\n\n`,
    events: ['workflow_started', 'workflow_paused'],
    pings: 0,
    text: '',
    outcome: { kind: 'paused' },
  },
];
