/**
 * The http-request node against a loopback server: what the server receives (method, path,
 * params, headers, body per body type) and the node's outputs, as the real Dify 1.13.2 gives
 * them for the same DSL (a 404 succeeds unless the node has an error strategy).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { end, runNodes, start } from '../../helpers/engine-run.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('http-request', () => {
  let server: Server;
  let base = '';
  const received: Received[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith('/slow')) return void setTimeout(() => res.end('late'), 3000);
        res.writeHead(req.url!.startsWith('/missing') ? 404 : 200, { 'Content-Type': 'application/json', 'X-Test': 'yes' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const http = (data: Record<string, unknown>) => ({
    id: 'http',
    type: 'http-request',
    method: 'post',
    url: `${base}/{{#start.path#}}`,
    headers: '',
    params: '',
    body: { type: 'none', data: [] },
    ...data,
  });
  const graph = (data: Record<string, unknown>) => [
    start('path', 'q'),
    http(data),
    end({ status: ['http', 'status_code'], body: ['http', 'body'], headers: ['http', 'headers'], files: ['http', 'files'] }),
  ];
  const last = () => received.at(-1)!;

  test('a JSON post: references rendered in URL, params, headers and body; the body sent compacted', async () => {
    const run = await runNodes(
      graph({
        headers: 'X-Custom:{{#start.q#}}',
        params: 'a:1\nq:{{#start.q#}}',
        body: { type: 'json', data: [{ key: '', type: 'text', value: '{"q": "{{#start.q#}}"}' }] },
      }),
      { path: 'echo', q: 'hi there' },
    );
    assert.deepEqual(
      [last().method, last().url, last().headers['x-custom'], last().headers['content-type'], last().body],
      ['POST', '/echo?a=1&q=hi+there', 'hi there', 'application/json', '{"q":"hi there"}'],
    );
    assert.equal(run.finished.status, 'succeeded');
    const outputs = run.finished.outputs as Record<string, unknown>;
    assert.deepEqual(
      [outputs['status'], outputs['body'], (outputs['headers'] as Record<string, string>)['x-test'], outputs['files']],
      [200, '{"ok":true}', 'yes', []],
    );
    const data = run.finishedOf('http');
    assert.deepEqual(data['inputs'], {});
    assert.match(
      (data['process_data'] as { request: string }).request,
      /^POST \/echo\?a=1&q=hi\+there HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n[^]*\r\n\r\n\{"q": "hi there"\}$/,
    );
  });

  test('form bodies and raw text carry their content types', async () => {
    await runNodes(
      graph({
        body: {
          type: 'x-www-form-urlencoded',
          data: [
            { key: 'a', type: 'text', value: '{{#start.q#}}' },
            { key: 'b', type: 'text', value: '2' },
          ],
        },
      }),
      { path: 'f', q: 'x y' },
    );
    assert.deepEqual([last().headers['content-type'], last().body], ['application/x-www-form-urlencoded', 'a=x+y&b=2']);
    await runNodes(graph({ body: { type: 'form-data', data: [{ key: 'field', type: 'text', value: '{{#start.q#}}' }] } }), { path: 'm', q: 'v' });
    assert.match(String(last().headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.match(last().body, /name="field"\r\n\r\nv\r\n/);
    await runNodes(graph({ body: { type: 'raw-text', data: [{ key: '', type: 'text', value: 'plain {{#start.q#}}' }] } }), { path: 'r', q: 'text' });
    assert.deepEqual([last().headers['content-type'], last().body], ['text/plain', 'plain text']);
  });

  test('a GET sends no body; an API key goes in the Authorization header', async () => {
    await runNodes(
      graph({
        method: 'get',
        authorization: { type: 'api-key', config: { type: 'bearer', api_key: 'secret' } },
        body: { type: 'json', data: [{ key: '', type: 'text', value: '{}' }] },
      }),
      { path: 'g' },
    );
    assert.deepEqual([last().method, last().headers['authorization'], last().body], ['GET', 'Bearer secret', '']);
  });

  test('a 404 succeeds with its status; with an error strategy it fails the node', async () => {
    const plain = await runNodes(graph({}), { path: 'missing' });
    assert.deepEqual([plain.finished.status, (plain.finished.outputs as Record<string, unknown>)['status']], ['succeeded', 404]);
    const strict = await runNodes(graph({ error_strategy: 'default-value', default_value: [{ key: 'status_code', type: 'number', value: 0 }] }), {
      path: 'missing',
    });
    // As the real server: the node's error is "Unknown error", the status is in error_message.
    assert.deepEqual(
      [strict.finished.status, strict.finishedOf('http')['status'], strict.finishedOf('http')['error']],
      ['partial-succeeded', 'exception', 'Unknown error'],
    );
    assert.deepEqual(strict.finishedOf('http')['outputs'], {
      status_code: 0,
      error_message: 'Request failed with status code 404',
      error_type: 'HTTPResponseCodeError',
    });
  });

  test('a timeout fails the node with the time limit in the error', async () => {
    const run = await runNodes(graph({ timeout: { max_connect_timeout: 0.5, max_read_timeout: 0.5 } }), { path: 'slow' });
    assert.equal(run.finished.status, 'failed');
    assert.match(String(run.finished.error), /timed out after 1s/);
  });

  test('the time limit holds through garbage collections', async () => {
    // Node 20's AbortSignal.any holds its sources weakly: an AbortSignal.timeout passed only to
    // it was collected by the next GC and never fired, so the request ran until the server answered.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 50);
    try {
      const run = await runNodes(graph({ timeout: { max_connect_timeout: 0.5, max_read_timeout: 0.5 } }), { path: 'slow' });
      assert.equal(run.finished.status, 'failed');
      assert.match(String(run.finished.error), /timed out after 1s/);
    } finally {
      clearInterval(collecting);
    }
  });

  test('an unreachable host fails the node', async () => {
    const run = await runNodes([start('path'), http({ url: 'http://127.0.0.1:1/x' }), end({})], { path: 'x' });
    assert.equal(run.finished.status, 'failed');
    assert.match(String(run.finished.error), /^HTTP request to http:\/\/127\.0\.0\.1:1\/x failed: /);
  });
});
