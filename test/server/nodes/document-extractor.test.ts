/**
 * The document extractor on text formats, output as the real Dify 1.13.2 gives it (CSV as a
 * Markdown table, the rest as written; a file list gives a list), end to end through an
 * upload to `serve`, and the refusal of binary formats.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { csvAsMarkdown } from '../../../src/server/engine/nodes/document-extractor.js';
import { end, runNodes } from '../../helpers/engine-run.js';

const DSL = (fileType: 'file' | 'file-list') =>
  JSON.stringify({
    app: { mode: 'workflow', name: 'dx' },
    kind: 'app',
    version: '0.6.0',
    workflow: {
      graph: {
        nodes: [
          {
            id: 'start',
            data: {
              type: 'start',
              title: 'Start',
              variables: [
                {
                  variable: 'doc',
                  label: 'doc',
                  type: fileType,
                  required: true,
                  allowed_file_types: ['document'],
                  allowed_file_upload_methods: ['local_file'],
                },
              ],
            },
          },
          { id: 'dx', data: { type: 'document-extractor', title: 'Extract', variable_selector: ['start', 'doc'], is_array_file: fileType === 'file-list' } },
          { id: 'end', data: { type: 'end', title: 'End', outputs: [{ variable: 'text', value_selector: ['dx', 'text'] }] } },
        ],
        edges: [
          { id: 'a', source: 'start', target: 'dx', sourceHandle: 'source' },
          { id: 'b', source: 'dx', target: 'end', sourceHandle: 'source' },
        ],
      },
    },
  });

describe('document-extractor', () => {
  const servers: Record<string, RunningServer> = {};
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dx-'));
    for (const kind of ['file', 'file-list'] as const) {
      writeFileSync(join(dir, `${kind}.yml`), DSL(kind));
      servers[kind] = await startServer({ workflow: join(dir, `${kind}.yml`), port: 0 });
    }
  });
  after(async () => Promise.all(Object.values(servers).map((s) => s.close())));

  async function upload(server: RunningServer, name: string, content: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    form.append('user', 'dx');
    const res = await fetch(`${server.baseURL}/files/upload`, { method: 'POST', headers: { Authorization: `Bearer ${server.apiKey}` }, body: form });
    return ((await res.json()) as { id: string }).id;
  }
  async function runWith(server: RunningServer, doc: unknown): Promise<{ status: string; outputs: { text: unknown }; error: string | null }> {
    const res = await fetch(`${server.baseURL}/workflows/run`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: { doc }, user: 'dx', response_mode: 'blocking' }),
    });
    return ((await res.json()) as { data: { status: string; outputs: { text: unknown }; error: string | null } }).data;
  }
  const mapping = (id: string) => ({ type: 'document', transfer_method: 'local_file', upload_file_id: id });

  test('an uploaded CSV comes back as a Markdown table, as on Dify', async () => {
    const id = await upload(servers['file']!, 't2.csv', 'name,note\n"Smith, J","say ""hi"""\n,empty\n');
    const result = await runWith(servers['file']!, mapping(id));
    assert.equal(result.error, null);
    assert.deepEqual([result.status, result.outputs.text], ['succeeded', '| name | note |\n| ---- | ---- |\n| Smith, J | say "hi" |\n|  | empty |\n']);
  });

  test('text, Markdown and HTML as written; a file list gives a list of texts', async () => {
    const server = servers['file-list']!;
    const ids = [
      await upload(server, 't.txt', 'plain\ttext\r\nline2'),
      await upload(server, 't.md', '# Title\n\nSome *md* text.\n'),
      await upload(server, 't.html', '<p>para &amp; more</p>'),
    ];
    const result = await runWith(server, ids.map(mapping));
    assert.deepEqual(result.outputs.text, ['plain\ttext\r\nline2', '# Title\n\nSome *md* text.\n', '<p>para &amp; more</p>']);
  });

  test('a binary format is refused by name; inputs and process_data as Dify reports them', async () => {
    const pdf = { filename: 'a.pdf', extension: '.pdf', url: 'http://127.0.0.1:1/a.pdf' };
    const nodes = [
      { id: 'start', type: 'start', variables: [] },
      { id: 'dx', type: 'document-extractor', variable_selector: ['start', 'doc'] },
      end({ text: ['dx', 'text'] }),
    ];
    const run = await runNodes(nodes, { doc: pdf });
    assert.equal(run.finished.status, 'failed');
    assert.match(String(run.finished.error), /Unsupported file type for text extraction: \.pdf/);
    assert.deepEqual(run.finishedOf('dx')['inputs'], { variable_selector: ['start', 'doc'] });
  });

  test('csvAsMarkdown: short rows padded, BOM dropped, empty CSV empty', () => {
    assert.equal(csvAsMarkdown('\uFEFFa,b\n1\n'), '| a | b |\n| - | - |\n| 1 |  |\n');
    assert.equal(csvAsMarkdown(''), '');
  });
});
