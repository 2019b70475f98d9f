/**
 * Writes a Dify event stream: `data: {json}\n\n` frames with no event/id lines, and
 * `event: ping\n\n` heartbeats (one on connect, then every pingInterval while open).
 */
import type { ServerResponse } from 'node:http';
import type { ErrorEvent } from '../../protocol/index.js';
import type { EngineEvent } from '../engine/run-graph.js';

export class SseWriter {
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** When true, nothing more is written (a fault-injected stall). */
  silent = false;

  constructor(
    private readonly res: ServerResponse,
    pingIntervalMs: number,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.ping();
    if (pingIntervalMs > 0) this.#timer = setInterval(() => this.ping(), pingIntervalMs);
    res.on('close', () => this.#stop());
  }

  get closed(): boolean {
    return this.#closed || this.res.destroyed;
  }

  ping(): void {
    if (!this.closed && !this.silent) this.res.write('event: ping\n\n');
  }

  send(event: EngineEvent | ErrorEvent): void {
    if (!this.closed && !this.silent) this.res.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    this.#stop();
    if (!this.res.writableEnded) this.res.end();
  }

  /** Cuts the connection without a proper end (fault injection). */
  destroy(): void {
    this.#stop();
    this.res.socket?.destroy();
  }

  #stop(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
