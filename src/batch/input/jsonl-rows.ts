/** JSONL rows, streamed: `{"id", "inputs": {...}}` or a flat object with `id`, one per line. */
import { InputError } from './input-error.js';
import type { InputItem, ResumePoint, RowBatch } from './read-rows.js';
import type { TextSource } from './text-source.js';

export async function* readJsonl(source: TextSource, file: string, from: ResumePoint): AsyncGenerator<RowBatch> {
  let line = from.line - 1;
  let offset = from.offset;
  let rows = 0;
  let carry = '';
  const encoding = source.encoding;
  const batch = (lines: string[]): RowBatch => {
    const start: ResumePoint = { offset, line: line + 1, encoding };
    const items: InputItem[] = [];
    for (const part of lines) {
      offset += source.measure(part) + 1;
      line++;
      const trimmed = part.trim();
      if (trimmed === '') continue;
      rows++;
      items.push(jsonlItem(trimmed, line));
    }
    return { items, start };
  };
  for await (const chunk of source.chunks) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    yield batch(parts);
  }
  if (carry !== '') yield batch([carry]);
  if (rows === 0 && from.offset === 0) throw new InputError(file, undefined, 'the file has no rows');
}

function jsonlItem(text: string, line: number): InputItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'problem', line, message: `not valid JSON (${(error as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'problem', line, message: 'expected a JSON object with "id"' };
  const object = value as Record<string, unknown>;
  const id = object.id;
  if (typeof id !== 'string' && typeof id !== 'number') return { kind: 'problem', line, message: 'missing "id" (a string or a number)' };
  let values: Record<string, unknown>;
  if ('inputs' in object) {
    const inputs = object.inputs;
    if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) return { kind: 'problem', line, message: '"inputs" must be a JSON object' };
    values = { ...(inputs as Record<string, unknown>) };
  } else {
    values = { ...object };
    delete values.id;
  }
  return { kind: 'row', id: String(id), line, values };
}
