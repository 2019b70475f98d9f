/**
 * A stand-in for what real Dify 1.13 does that the local server does not: streaming runs wait
 * in a first-in-first-out queue for `workers` Celery workers, blocking runs run at once, and a
 * row the worker rejects (an `upload_file_id` it does not know) gets a 200 stream with one ping
 * and then silence, while blocking mode answers Dify's 400 at once. Blocking requests resolve the
 * legacy `files` before they check `inputs`, as the real server does. A row whose query holds
 * "STUCK" is never taken off the queue (a worker busy elsewhere). Measured on the real server
 * (../shared/real-dify/README.md); written for these tests, not copied from Dify.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueuedDify {
  baseURL: string;
  apiKey: string;
  /** Runs that executed (a rejected row never executes). */
  runs: { user: string; mode: string }[];
  /** Every POST; `refused`: the 400 a blocking request got instead of a run. */
  posts: { user: string; mode: string; refused?: string }[];
  close(): Promise<void>;
}

const REJECTION = 'Invalid upload file';
/** Upload ids this server knows; any other id is rejected. */
export const KNOWN_FILE = { type: 'document', transfer_method: 'local_file', upload_file_id: '11111111-1111-4111-8111-111111111111' } as const;
export const UNKNOWN_FILE = { type: 'document', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' } as const;

type FileRef = { upload_file_id?: string };
const unknownFile = (files: unknown[]) => files.some((file) => (file as FileRef).upload_file_id !== KNOWN_FILE.upload_file_id);

export async function startQueuedDify(options: { workers: number; runMs: number }): Promise<QueuedDify> {
  const runs: QueuedDify['runs'] = [];
  const posts: QueuedDify['posts'] = [];
  const queue: (() => void)[] = [];
  let busy = 0;
  const take = () => {
    while (busy < options.workers && queue.length > 0) {
      busy++;
      queue.shift()!();
    }
  };
  const done = () => {
    busy--;
    take();
  };
  const finished = (id: string, user: string, created: number) => ({
    id,
    workflow_id: 'wf',
    status: 'succeeded',
    outputs: { text: `ran for ${user}` },
    error: null,
    elapsed_time: options.runMs / 1000,
    total_tokens: 0,
    total_steps: 2,
    created_at: created,
    finished_at: Math.floor(Date.now() / 1000),
  });
  const open = new Set<ServerResponse>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1/parameters') {
      const form = [
        { 'text-input': { variable: 'query', label: 'query', type: 'text-input', required: true, max_length: 256 } },
        {
          file: { variable: 'doc', label: 'doc', type: 'file', required: false, allowed_file_types: ['document'], allowed_file_upload_methods: ['local_file'] },
        },
      ];
      return json(200, { user_input_form: form, file_upload: { enabled: false }, system_parameters: {} });
    }
    if (url.pathname === '/v1/workflows/logs') return json(200, { page: 1, limit: 100, total: 0, has_more: false, data: [] });
    if (url.pathname !== '/v1/workflows/run' || req.method !== 'POST') return json(404, { code: 'not_found', message: 'not here', status: 404 });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      inputs: { query?: unknown; doc?: unknown };
      files?: unknown[];
      user: string;
      response_mode: string;
    };
    const rejected = body.inputs.doc !== undefined && unknownFile([body.inputs.doc]);
    const created = Math.floor(Date.now() / 1000);
    const id = randomUUID();
    if (body.response_mode !== 'streaming') {
      // Legacy files first, then the inputs: the order the real server checks them in.
      const refused = unknownFile(body.files ?? [])
        ? REJECTION
        : typeof body.inputs.query !== 'string'
          ? "(type 'text-input') query in input form must be a string"
          : rejected
            ? REJECTION
            : undefined;
      posts.push({ user: body.user, mode: body.response_mode, ...(refused ? { refused } : {}) });
      if (refused) return json(400, { code: 'invalid_param', message: refused, status: 400 });
      runs.push({ user: body.user, mode: 'blocking' });
      await new Promise((resolve) => setTimeout(resolve, options.runMs));
      return json(200, { task_id: randomUUID(), workflow_run_id: id, data: finished(id, body.user, created) });
    }
    posts.push({ user: body.user, mode: body.response_mode });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ping\n\n');
    open.add(res);
    res.on('close', () => open.delete(res));
    const taskId = randomUUID();
    if (String(body.inputs.query).includes('STUCK')) return; // never taken off the queue
    queue.push(() => {
      if (rejected) return done(); // the worker drops it; the stream is never told
      runs.push({ user: body.user, mode: 'streaming' });
      const send = (event: string, data: unknown) => res.write(`data: ${JSON.stringify({ event, task_id: taskId, workflow_run_id: id, data })}\n\n`);
      send('workflow_started', { id, workflow_id: 'wf', created_at: created });
      setTimeout(() => {
        send('workflow_finished', finished(id, body.user, created));
        res.end();
        done();
      }, options.runMs);
    });
    take();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey: 'app-queued',
    runs,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
