/**
 * The parts of a workflow event that must match the real Dify server's: names, node ids,
 * statuses, outputs, text chunks, container rounds. Ids, times and error texts (the real
 * sandbox's differ) are left out.
 */
export type Frame = { event: string; data: Record<string, unknown> };

export function signature({ event, data }: Frame): unknown[] {
  if (event === 'text_chunk') return [event, data['text'], data['from_variable_selector']];
  if (event === 'workflow_started') return [event];
  if (event === 'workflow_finished') return [event, data['status'], data['outputs'], data['total_steps']];
  const parts: unknown[] = [event, data['node_id']];
  if (event.endsWith('_next')) parts.push(data['index']);
  if ('status' in data) parts.push(data['status']);
  if (event === 'node_finished') parts.push(data['outputs']);
  if (event === 'iteration_completed' || event === 'loop_completed') parts.push(data['outputs'], data['steps']);
  if (event === 'iteration_started' || event === 'loop_started') parts.push(data['inputs'], data['metadata']);
  return parts;
}

/** Runs a workflow streaming and returns its events' signatures. */
export async function streamSignatures(baseURL: string, apiKey: string, inputs: unknown): Promise<unknown[][]> {
  const response = await fetch(`${baseURL}/workflows/run`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs, response_mode: 'streaming', user: 'signatures' }),
  });
  const frames = (await response.text())
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => JSON.parse(f.slice(6)) as Frame);
  return frames.map(signature).map(withoutRunIds);
}

/** Start-node outputs carry sys.* ids and a timestamp that differ per run. */
function withoutRunIds(parts: unknown[]): unknown[] {
  return parts.map((part) => {
    if (part === null || typeof part !== 'object' || Array.isArray(part)) return part;
    return Object.fromEntries(Object.entries(part).filter(([key]) => !/^sys\.(timestamp|app_id|workflow_id|workflow_run_id)$/.test(key)));
  });
}
