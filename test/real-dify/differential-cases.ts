/**
 * The requests of the differential suite. Each case runs against one side and returns what
 * is compared; `allow` lists the differences left on purpose (path prefix → reason), the
 * same reasons the README's local-server section gives.
 */
import { events, send, type Observed, type Send, type Target } from './differential-harness.js';
import { STOP_CASES } from './differential-stops.js';

/** The kit's three apps, and held-stop (dsl/held-stop.yml, imported into the kit by the suite). */
export type AppName = 'echo' | 'branch' | 'code' | 'held';

export interface Case {
  name: string;
  app: AppName;
  run: (t: Target) => Promise<unknown>;
  allow?: Record<string, string>;
}

export const REASONS = {
  author: 'author_name is the account that created the app on Dify; the local server has no accounts ("difyrun")',
  sandbox: "a failing code node's error text comes from dify-sandbox on Dify and from Pyodide locally",
  noExtras: 'the local server does not fetch remote URLs (Dify sends a HEAD request first), so a bad URL is not found unreachable',
};

const run = (inputs: Record<string, unknown>, extra: Record<string, unknown> = {}): Send => ({
  path: '/workflows/run',
  json: { inputs, user: 'diff', ...extra },
});
const stream = (inputs: Record<string, unknown>, readMs?: number): Send => ({ ...run(inputs, { response_mode: 'streaming' }), ...(readMs ? { readMs } : {}) });
const one = (request: Send) => (t: Target) => send(t, request);
const c = (name: string, app: AppName, request: Send, allow?: Record<string, string>): Case => ({ name, app, run: one(request), ...(allow ? { allow } : {}) });

/** Only the event names and the data of the stream (pings dropped: their count depends on timing). */
async function streamed(t: Target, request: Send): Promise<unknown> {
  const observed = await send(t, request);
  const all = events(observed);
  const order = all.map((e) => `${e.event}${(e['data'] as { node_id?: string } | undefined)?.node_id ? `:${(e['data'] as { node_id: string }).node_id}` : ''}`);
  return { status: observed.status, contentType: observed.contentType, cors: observed.cors, order, events: all };
}

async function upload(t: Target, name: string, content: string, type = 'text/plain'): Promise<Observed> {
  const form = new FormData();
  form.append('file', new Blob([content], { type }), name);
  form.append('user', 'diff');
  return send(t, { path: '/files/upload', raw: form });
}

async function uploadedId(t: Target, name = 'notes.txt'): Promise<string> {
  return ((await upload(t, name, 'hello')).body as { id: string }).id;
}

/** One tag per suite run: both sides use the same user names, and a rerun does not see the last run's logs. */
const TAG = Date.now().toString(36);

async function afterRun(t: Target, inputs: Record<string, unknown>, app: 'detail' | 'logs'): Promise<unknown> {
  const user = `diff-${TAG}-${app}-${Object.values(inputs).join('-')}`;
  const result = (await send(t, run(inputs, { user }))).body as { workflow_run_id: string };
  if (app === 'detail') return send(t, { path: `/workflows/run/${result.workflow_run_id}` });
  return send(t, { path: `/workflows/logs?created_by_end_user_session_id=${user}` });
}

const BAD_BODIES: [string, string, string | undefined][] = [
  ['empty body', '', 'application/json'],
  ['malformed JSON', '{"inputs":', 'application/json'],
  ['JSON array body', '[]', 'application/json'],
  ['JSON string body', '"x"', 'application/json'],
  ['JSON null body', 'null', 'application/json'],
  ['text/plain body', 'x', 'text/plain'],
  ['no content type', '{}', undefined],
];

const FILE_MAPPINGS: [string, (id: string) => unknown][] = [
  ['file input: stated type differs from the detected one', (id) => ({ type: 'image', transfer_method: 'local_file', upload_file_id: id })],
  ['file input: unknown upload_file_id', () => ({ type: 'document', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' })],
  ['file input: upload_file_id not a UUID', () => ({ type: 'document', transfer_method: 'local_file', upload_file_id: 'abc' })],
  ['file input: no upload_file_id', () => ({ type: 'document', transfer_method: 'local_file' })],
  ['file input: no transfer_method', () => ({ type: 'document' })],
  ['file input: unknown transfer_method', () => ({ type: 'document', transfer_method: 'bogus' })],
  ['file input: remote_url without a URL', () => ({ type: 'document', transfer_method: 'remote_url' })],
  ['file input: not an object', () => 'str'],
  ['file input: a .txt stated as custom (not allowed by extension list)', (id) => ({ type: 'custom', transfer_method: 'local_file', upload_file_id: id })],
];

export const CASES: Case[] = [
  // Authentication and CORS
  c('no Authorization header', 'echo', { path: '/info', noAuth: true }),
  c('Basic scheme', 'echo', { path: '/info', noAuth: true, headers: { Authorization: 'Basic abc' } }),
  c('wrong key', 'echo', { path: '/info', noAuth: true, headers: { Authorization: 'Bearer app-wrong' } }),
  c('GET with an Origin: CORS echoes it', 'echo', { path: '/info', headers: { Origin: 'http://app.test' } }, { 'body.author_name': REASONS.author }),
  c('OPTIONS preflight of a run', 'echo', {
    method: 'OPTIONS',
    path: '/workflows/run',
    noAuth: true,
    headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type, x-foo' },
  }),
  c('OPTIONS preflight of /parameters', 'echo', {
    method: 'OPTIONS',
    path: '/parameters',
    noAuth: true,
    headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'GET' },
  }),
  c('OPTIONS without an Origin', 'echo', { method: 'OPTIONS', path: '/workflows/logs', noAuth: true }),
  // Routes
  c('unknown path: HTML 404', 'echo', { path: '/nope' }),
  c('OPTIONS on an unknown path', 'echo', { method: 'OPTIONS', path: '/nope', noAuth: true, headers: { Origin: 'http://app.test' } }),
  c('GET /workflows/run: 405', 'echo', { path: '/workflows/run' }),
  c('run detail: id not a UUID', 'echo', { path: '/workflows/run/not-a-uuid' }),
  c('run detail: unknown UUID', 'echo', { path: '/workflows/run/00000000-0000-4000-8000-000000000000' }),
  c('pinned workflow id not a UUID', 'echo', { path: '/workflows/abc/run', json: { inputs: { query: 'x' }, user: 'diff' } }),
  c('pinned workflow id unknown', 'echo', { path: '/workflows/00000000-0000-4000-8000-000000000000/run', json: { inputs: { query: 'x' }, user: 'diff' } }),
  // Bodies
  ...BAD_BODIES.map(([name, raw, type]) => c(name, 'echo', { path: '/workflows/run', raw, headers: type ? { 'Content-Type': type } : {} })),
  c('no user', 'echo', { path: '/workflows/run', json: { inputs: { query: 'x' } } }),
  c('empty user', 'echo', run({ query: 'x' }, { user: '' })),
  c('inputs missing', 'echo', { path: '/workflows/run', json: { user: 'diff' } }),
  c('inputs a list', 'echo', run({}, { inputs: [] })),
  c('bad response_mode', 'echo', run({ query: 'x' }, { response_mode: 'fast' })),
  c('stop without user', 'echo', { path: '/workflows/tasks/x/stop', json: {} }),
  c('stop of an unknown task', 'echo', { path: '/workflows/tasks/00000000-0000-4000-8000-000000000000/stop', json: { user: 'diff' } }),
  // Input validation, blocking
  c('required input missing', 'echo', run({})),
  c('required input null', 'echo', run({ query: null })),
  c('text too long', 'echo', run({ query: 'x'.repeat(257) })),
  c('text input given a number', 'echo', run({ query: 5 })),
  c('select not an option', 'branch', run({ query: 'x', mode: 'medium' })),
  c('number not a number', 'branch', run({ query: 'x', count: 'many' })),
  c('paragraph too long', 'branch', run({ query: 'x', fallback: 'y'.repeat(1001) })),
  c('empty string passes required', 'echo', run({ query: '' })),
  // Input validation, streaming: 200, a ping, then silence
  c('streaming: required input missing', 'echo', stream({}, 2500)),
  c('streaming: select not an option', 'branch', stream({ query: 'x', mode: 'medium' }, 2500)),
  // Runs, blocking
  c('blocking run: echo', 'echo', run({ query: 'hello' })),
  c('blocking run: response_mode omitted is blocking', 'echo', { path: '/workflows/run', json: { inputs: { query: 'hi' }, user: 'diff' } }),
  c('blocking run: unicode', 'echo', run({ query: '日本語のテキスト' })),
  c('blocking run: unknown inputs ignored', 'echo', run({ query: 'hi', other: 1 })),
  c('blocking run: user given as a number', 'echo', run({ query: 'hi' }, { user: 5 })),
  c('blocking run: branch taken', 'branch', run({ query: 'yes please', mode: 'fast' })),
  c('blocking run: branch not taken, fallback', 'branch', run({ query: 'no', fallback: 'plan b', count: 3 })),
  c('blocking run: branch not taken, no fallback', 'branch', run({ query: 'no', count: '2.5' })),
  c('blocking run: code nodes', 'code', run({ query: 'world' })),
  c('blocking run: code node fails', 'code', run({ query: 'please fail' }), { 'body.data.error': REASONS.sandbox }),
  // Runs, streaming: event order and fields
  { name: 'stream: echo', app: 'echo', run: (t) => streamed(t, stream({ query: 'hello' })) },
  { name: 'stream: echo, empty text', app: 'echo', run: (t) => streamed(t, stream({ query: '' })) },
  { name: 'stream: branch taken', app: 'branch', run: (t) => streamed(t, stream({ query: 'yes', mode: 'slow' })) },
  { name: 'stream: branch not taken', app: 'branch', run: (t) => streamed(t, stream({ query: 'no', fallback: 'fb', count: 7 })) },
  { name: 'stream: branch, number and null outputs', app: 'branch', run: (t) => streamed(t, stream({ query: 'nope' })) },
  { name: 'stream: code nodes', app: 'code', run: (t) => streamed(t, stream({ query: 'world' })) },
  { name: 'stream: code node fails', app: 'code', run: (t) => streamed(t, stream({ query: 'fail now' })), allow: { events: REASONS.sandbox } },
  // Run detail and logs
  { name: 'run detail after a run', app: 'echo', run: (t) => afterRun(t, { query: 'detail' }, 'detail') },
  { name: 'run detail after a branch run', app: 'branch', run: (t) => afterRun(t, { query: 'yes', count: 4 }, 'detail') },
  { name: 'run detail of a failed run', app: 'code', run: (t) => afterRun(t, { query: 'fail' }, 'detail'), allow: { 'body.error': REASONS.sandbox } },
  { name: 'logs of one user', app: 'echo', run: (t) => afterRun(t, { query: 'logged' }, 'logs') },
  c('logs: status=succeeded, limit=1', 'echo', { path: '/workflows/logs?status=succeeded&limit=1&created_by_end_user_session_id=nobody-here' }),
  // Filtered to a user no run has: real Dify does record runs stopped before their first node
  // ("Aborted: User requested stop"), so the app's history decides what an unfiltered list holds.
  c('logs: status=stopped, filtered to a user with no runs', 'echo', {
    path: `/workflows/logs?status=stopped&created_by_end_user_session_id=nobody-${Date.now()}`,
  }),
  c('logs: status=running is refused', 'echo', { path: '/workflows/logs?status=running' }),
  c('logs: limit=0', 'echo', { path: '/workflows/logs?limit=0' }),
  c('logs: limit=101', 'echo', { path: '/workflows/logs?limit=101' }),
  c('logs: page=abc', 'echo', { path: '/workflows/logs?page=abc' }),
  c('logs: keyword that matches nothing', 'echo', { path: '/workflows/logs?keyword=zzz-no-such-input-zzz' }),
  // Stop: how the real server takes a stop depends on which of its two mechanisms sees it first
  ...STOP_CASES,
  // Upload
  { name: 'upload a text file', app: 'echo', run: (t) => upload(t, 'notes.txt', 'hello') },
  { name: 'upload a UTF-8 name', app: 'echo', run: (t) => upload(t, 'レポート.txt', 'hello') },
  { name: 'upload a name with a path separator', app: 'echo', run: (t) => upload(t, 'dir/notes.txt', 'hello') },
  { name: 'upload an .exe', app: 'echo', run: (t) => upload(t, 'tool.exe', 'MZ', 'application/octet-stream') },
  { name: 'upload a .mpga (audio)', app: 'echo', run: (t) => upload(t, 'voice.mpga', 'ID3', 'audio/mpeg') },
  { name: 'upload over the document size limit', app: 'echo', run: (t) => upload(t, 'big.txt', 'x'.repeat(15 * 1024 * 1024 + 1)) },
  c('upload with no file', 'echo', { path: '/files/upload', raw: new FormData() }),
  c('upload not multipart', 'echo', { path: '/files/upload', json: {} }),
  // File inputs (the code app's optional `doc`)
  ...FILE_MAPPINGS.map(([name, mapping]): Case => ({ name, app: 'code', run: async (t) => send(t, run({ query: 'q', doc: mapping(await uploadedId(t)) })) })),
  {
    name: 'file input: unknown upload_file_id, streaming',
    app: 'code',
    run: async (t) =>
      send(t, stream({ query: 'q', doc: { type: 'document', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' } }, 2500)),
  },
  // App info
  ...(['echo', 'branch', 'code'] as const).flatMap((app): Case[] => [
    c(`/info (${app})`, app, { path: '/info' }, { 'body.author_name': REASONS.author }),
    c(`/parameters (${app})`, app, { path: '/parameters' }),
    c(`/meta (${app})`, app, { path: '/meta' }),
    c(`/site (${app})`, app, { path: '/site' }),
  ]),
];
