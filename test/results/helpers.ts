/** Result lines for tests, shaped like difyrun batch writes them. */
import { writeFileSync } from 'node:fs';

export function resultLine(id: string, fields: Record<string, unknown> = {}): string {
  const status = fields.status ?? 'success';
  return JSON.stringify({
    id,
    status,
    inputs: { id, text: `text ${id}` },
    outputs: status === 'success' ? { answer: `answer ${id}` } : null,
    workflow_run_id: `run-${id}`,
    executed_at: '2026-01-01T00:00:01.000Z',
    retry_count: 0,
    task_id: null,
    workflow_status: status === 'success' ? 'succeeded' : 'failed',
    error: status === 'success' ? null : { code: 'boom', message: `failed ${id}`, http_status: null },
    elapsed_time: 0.5,
    total_tokens: 10,
    total_price: 0.001,
    currency: 'USD',
    latency_ms: 500,
    attempts: 1,
    ...fields,
  });
}

export function writeLines(path: string, lines: string[]): string {
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
