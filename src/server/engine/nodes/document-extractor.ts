/**
 * Document extractor for text formats: reads each file of the selected variable (the upload's
 * URL, or a remote URL) and outputs its text; a file list gives a list of texts. As the real
 * Dify 1.13.2: text, Markdown, HTML, XML and JSON come back as written, CSV as a Markdown table
 * (one `-` per header character in the separator row); inputs name the selector and
 * process_data lists the files. Binary formats (pdf, docx, xlsx…) are refused by name.
 */
import Papa from 'papaparse';
import { selector } from '../../dsl/parse-helpers.js';
import type { NodeBase, Selector } from '../../dsl/types.js';
import { NodeError, type NodeContext, type NodeResult } from '../node-context.js';
import { defineNode } from './kind.js';

const AS_WRITTEN = ['.txt', '.md', '.markdown', '.mdx', '.html', '.htm', '.xml', '.json', '.vtt', '.properties', '.yaml', '.yml', '.log'];

export interface DocumentExtractorNode extends NodeBase {
  type: 'document-extractor';
  variable_selector: Selector;
}

interface FileLike {
  filename?: string;
  extension?: string;
  url?: string;
  remote_url?: string;
  transfer_method?: string;
  related_id?: string | null;
}

export const documentExtractorNode = defineNode<DocumentExtractorNode>({
  types: ['document-extractor'],
  parse: (data, fail) => ({ variable_selector: selector(data['variable_selector'], fail) }),
  selectors: (node) => [node.variable_selector],
  run: (node, ctx) => extract(node, ctx),
});

async function extract(node: DocumentExtractorNode, ctx: NodeContext): Promise<NodeResult> {
  const value = ctx.pool.get(node.variable_selector);
  const inputs = { variable_selector: node.variable_selector };
  if (value === undefined || value === null)
    throw new NodeError(`File variable not found for selector: ${node.variable_selector.join('.')}`, 'DocumentExtractorError', { inputs });
  const files = (Array.isArray(value) ? value : [value]) as FileLike[];
  const texts = await Promise.all(files.map((file) => textOf(file, ctx, inputs)));
  return { inputs, outputs: { text: Array.isArray(value) ? texts : texts[0] }, processData: { documents: files } };
}

async function textOf(file: FileLike, ctx: NodeContext, inputs: Record<string, unknown>): Promise<string> {
  const extension = (file.extension ?? '').toLowerCase();
  if (extension !== '.csv' && !AS_WRITTEN.includes(extension)) {
    throw new NodeError(
      `Unsupported file type for text extraction: ${extension || file.filename || 'unknown'} (the local server reads text formats only)`,
      'UnsupportedFileTypeError',
      { inputs },
    );
  }
  let content: string;
  try {
    content = await read(file, ctx);
  } catch (error) {
    throw new NodeError(`Failed to read ${file.filename ?? 'the file'}: ${(error as Error).message}`, 'DocumentExtractorError', { inputs });
  }
  return extension === '.csv' ? csvAsMarkdown(content) : content;
}

/** A local upload from the server's store; anything else from its URL. */
async function read(file: FileLike, ctx: NodeContext): Promise<string> {
  if (file.transfer_method === 'local_file' && file.related_id && ctx.readUpload) {
    const bytes = await ctx.readUpload(file.related_id);
    if (!bytes) throw new Error('the upload no longer exists');
    return new TextDecoder().decode(bytes);
  }
  const url = file.url ?? file.remote_url;
  if (!url) throw new Error('no URL to read it from');
  const response = await fetch(url, { signal: ctx.signal });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

/** A CSV as Dify renders it: a Markdown table, the separator one `-` per header character. */
export function csvAsMarkdown(content: string): string {
  const rows = Papa.parse<string[]>(content.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
  const [header, ...body] = rows;
  if (!header) return '';
  const line = (cells: string[]) => `| ${cells.join(' | ')} |\n`;
  return line(header) + line(header.map((h) => '-'.repeat(h.length))) + body.map((row) => line(header.map((_h, i) => row[i] ?? ''))).join('');
}
