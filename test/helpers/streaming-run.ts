/** Raw-HTTP helpers for tests that need a run still going on the server. */

/**
 * Starts a streaming run, reads until its workflow_run_id arrives, then hangs up. Like real
 * Dify, the local server keeps the run going; the id is returned.
 */
export async function startRunAndHangUp(baseURL: string, apiKey: string, inputs: Record<string, unknown>, user: string): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(`${baseURL}/workflows/run`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs, response_mode: 'streaming', user }),
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  let text = '';
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      text += new TextDecoder().decode(read.value);
      const match = /"workflow_run_id": ?"([0-9a-f-]{36})"/.exec(text);
      if (match) return match[1]!;
    }
  } finally {
    controller.abort();
  }
  throw new Error(`the stream ended before a run id arrived: ${text}`);
}

/**
 * A loopback server whose answers wait until the test releases them: a run of
 * test/fixtures/workflows/held-request.yml given its `url` stays running until then, however
 * slowly a loaded machine runs the rest of the test.
 */
export async function startHold(): Promise<{ url: string; release(body: string): void; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  let release: (body: string) => void = () => {};
  const released = new Promise<string>((resolve) => (release = resolve));
  const server = createServer((_req, res) => void released.then((body) => res.end(body)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const close = () => {
    release('');
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, release, close };
}

export type StreamFrame = { event: string; task_id: string; workflow_run_id: string; data: Record<string, unknown> };

/** Reads an SSE response to its end, event by event (pings left out); `onFrame` sees each as it arrives. */
export async function readFrames(response: Response, onFrame: (frame: StreamFrame) => Promise<void> | void = () => {}): Promise<StreamFrame[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const frames: StreamFrame[] = [];
  let buffer = '';
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffer += decoder.decode(read.value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const text = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!text.startsWith('data: ')) continue;
      const frame = JSON.parse(text.slice(6)) as StreamFrame;
      frames.push(frame);
      await onFrame(frame);
    }
  }
  return frames;
}
