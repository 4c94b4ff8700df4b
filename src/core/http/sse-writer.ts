import type { Response } from 'express';

/**
 * Writes Server-Sent Events to the socket as they come, with a comment ping to keep proxies open.
 * What is written in one turn of the event loop (the head and the first pieces, the pieces of one
 * provider read, the usage event and `[DONE]`) leaves in one system call.
 */
export class SseWriter {
  private ping?: NodeJS.Timeout;
  private corked = false;

  constructor(private readonly res: Response) {}

  open(headers: Record<string, string>, pingMs: number): void {
    this.res.req.socket.setNoDelay(true);
    // The head leaves with the first events, which are at hand when a stream opens.
    this.cork();
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
    if (this.res.writableEnded || this.res.destroyed) return;
    this.cork();
    this.res.write(chunk);
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    // After the promise jobs queued now: the rest of the pieces of the same read.
    process.nextTick(uncork, this);
  }

  /** @internal */
  uncork(): void {
    this.corked = false;
    // end() flushes by itself.
    if (!this.res.writableEnded) this.res.uncork();
  }
}

function uncork(writer: SseWriter): void {
  writer.uncork();
}
