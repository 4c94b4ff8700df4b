import type { Response } from 'express';

/** Writes Server-Sent Events straight to the socket: no buffering, a comment ping to keep proxies open. */
export class SseWriter {
  private ping?: NodeJS.Timeout;

  constructor(private readonly res: Response) {}

  open(headers: Record<string, string>, pingMs: number): void {
    this.res.req.socket.setNoDelay(true);
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...headers,
    });
    this.res.flushHeaders();
    this.ping = setInterval(() => this.write(': ping\n\n'), pingMs);
    this.ping.unref();
  }

  data(payload: unknown): void {
    this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** A frame already in SSE form (`data: …\n\n`), relayed as it is. */
  raw(frame: string): void {
    this.write(frame);
  }

  event(name: string, payload: unknown): void {
    this.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
  }

  done(): void {
    this.write('data: [DONE]\n\n');
    this.close();
  }

  close(): void {
    clearInterval(this.ping);
    if (!this.res.writableEnded) this.res.end();
  }

  private write(chunk: string): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(chunk);
  }
}
