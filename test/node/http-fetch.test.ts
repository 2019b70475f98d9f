/**
 * What the node:http fetch does beyond the SDK's HTTP contract (that one is
 * test/client/http-behaviour-node-fetch.test.ts): which requests get the light SSE response and
 * which a standard Response, what it hands to the global fetch, and keep-alive sockets.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { createNodeFetch } from '../../src/node/http-fetch.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
const sockets = new Set<Socket>();
const server = createServer((req, res) => handler(req, res));
server.on('connection', (socket) => sockets.add(socket));
let base = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('an event-stream request reads its body chunk by chunk through getReader()', async () => {
  // The second chunk is sent only once the first was read: a read returns what has arrived.
  let firstRead!: () => void;
  const readFirst = new Promise<void>((resolve) => (firstRead = resolve));
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"a":1}\n\n');
    void readFirst.then(() => res.end('data: {"a":2}\n\n'));
  };
  const response = await createNodeFetch()(`${base}/s`, { method: 'POST', headers: { Accept: 'text/event-stream' }, body: '{}' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = response.body!.getReader();
  const first = await reader.read();
  assert.equal(Buffer.from(first.value!).toString(), 'data: {"a":1}\n\n');
  firstRead();
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
  assert.equal(rest, 'data: {"a":2}\n\n');
});

test('any other request gets a Response-shaped answer: status, headers, json(), arrayBuffer(), blob(), a web ReadableStream body', async () => {
  handler = (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-seen': req.headers['content-type'] ?? '' });
      res.end(JSON.stringify({ echo: body, length: req.headers['content-length'] }));
    });
  };
  const fetch = createNodeFetch();
  const response = await fetch(`${base}/j`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"é":1}' });
  assert.equal(response.status, 201);
  assert.equal(response.ok, true);
  assert.equal(response.statusText, 'Made');
  assert.equal(response.headers.get('x-seen'), 'application/json');
  // Content-Length counts bytes, not characters.
  assert.deepEqual(await response.json(), { echo: '{"é":1}', length: '8' });
  await assert.rejects(response.text(), /already been read/);
  const bytes = await (await fetch(`${base}/j`, { method: 'POST', body: 'x' })).arrayBuffer();
  assert.ok(bytes.byteLength > 0);
  const blob = await (await fetch(`${base}/j`, { method: 'POST', body: 'x' })).blob();
  assert.equal(blob.type, 'application/json');
  const stream = (await fetch(`${base}/j`, { method: 'POST', body: 'x' })).body!;
  assert.ok(stream instanceof ReadableStream, 'a download keeps a real web stream');
  assert.match(await new Response(stream).text(), /"echo":"x"/);
});

test('text() decodes as fetch does: a leading BOM dropped, bad bytes as U+FFFD', async () => {
  handler = (_req, res) => res.end(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff, 0x62]));
  assert.equal(await (await createNodeFetch()(`${base}/t`)).text(), 'a\ufffdb');
});

test("a batch's requests load neither undici nor web streams: no global fetch, Headers, Request or Response is touched", async () => {
  handler = (req, res) => {
    req.resume();
    if (req.headers.accept === 'text/event-stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"event":"workflow_started"}\n\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  };
  const script = `
    for (const name of ['fetch', 'Headers', 'Request', 'Response']) {
      Object.defineProperty(globalThis, name, { get() { throw new Error(name + ' was touched'); }, configurable: true });
    }
    const { createNodeFetch } = await import(${JSON.stringify(new URL('../../.test-cli/node/http-fetch.js', import.meta.url).href)});
    const fetch = createNodeFetch();
    const json = await fetch(process.argv[1] + '/p', { headers: { accept: 'application/json' } });
    if (!json.ok || (await json.json()).ok !== true) throw new Error('json');
    const sse = await fetch(process.argv[1] + '/s', { method: 'POST', headers: { accept: 'text/event-stream' }, body: '{}' });
    const reader = sse.body.getReader();
    while (!(await reader.read()).done);
    console.log('clean');
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, base]);
  assert.equal(stdout.trim(), 'clean');
});

test('FormData bodies and redirects go to the fallback fetch', async () => {
  const seen: string[] = [];
  const fallback = async (input: string | URL | Request, init?: RequestInit) => {
    seen.push(String(input));
    return fetch(input, init);
  };
  handler = (req, res) => {
    if (req.url === '/old') {
      res.writeHead(307, { location: '/new' });
      res.end();
    } else {
      req.resume();
      res.end('ok');
    }
  };
  const nodeFetch = createNodeFetch({ fallback });
  const form = new FormData();
  form.append('user', 'u');
  assert.equal(await (await nodeFetch(`${base}/upload`, { method: 'POST', body: form })).text(), 'ok');
  assert.equal(await (await nodeFetch(`${base}/old`, { method: 'POST', body: '{}' })).text(), 'ok');
  assert.deepEqual(seen, [`${base}/upload`, `${base}/old`]);
});

test('a refused connection rejects like fetch: TypeError "fetch failed" with the system code as cause', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(createNodeFetch()(`http://127.0.0.1:${port}/`), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, 'fetch failed');
    assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
    return true;
  });
});

test('an abort before the headers rejects with the signal reason; after them it ends the body', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {}\n\n');
  };
  const fetch = createNodeFetch();
  const early = new AbortController();
  const reason = new Error('stop now');
  early.abort(reason);
  await assert.rejects(fetch(`${base}/a`, { signal: early.signal }), (error) => error === reason);

  const late = new AbortController();
  const response = await fetch(`${base}/a`, { headers: { Accept: 'text/event-stream' }, signal: late.signal });
  const reader = response.body!.getReader();
  assert.equal((await reader.read()).done, false);
  late.abort(new Error('enough'));
  await assert.rejects(reader.read());
});

test('kept-alive sockets are reused and closed once idle; a response quieter than the idle limit is not cut', { timeout: 20_000 }, async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {}\n\n');
    // Quieter than the idle limit mid-response: the socket must not be closed under it.
    setTimeout(() => res.end('data: {}\n\n'), 250);
  };
  sockets.clear();
  server.keepAliveTimeout = 60_000;
  const fetch = createNodeFetch({ idleSocketMs: 100 });
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${base}/k`, { headers: { Accept: 'text/event-stream' } });
    const text = await response.text();
    assert.equal(text, 'data: {}\n\ndata: {}\n\n');
    // The agent takes the socket back on a later tick of the loop, not at once.
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(sockets.size, 1, 'one connection for three sequential requests');
  // The server would keep it a minute: only the client's idle limit closes it (else the test times out).
  await once([...sockets][0]!, 'close');
});
