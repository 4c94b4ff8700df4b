import type { Socket } from 'node:net';

import type { Response } from 'express';

/**
 * Writes Server-Sent Events straight to the socket, with a comment ping to keep proxies open. Node
 * sends a response's writes of one turn of the event loop together; the head, sent by itself, is
 * held to leave with the first events, which are at hand when a stream opens (one system call fewer
 * per stream).
 */
export class SseWriter {
  private ping?: NodeJS.Timeout;

  constructor(private readonly res: Response) {}

  open(headers: Record<string, string>, pingMs: number): void {
    const socket = this.res.req.socket;
    socket.setNoDelay(true);
    // The socket, not the response: Node 22 loses what a corked response holds when it is ended.
    socket.cork();
    process.nextTick(uncork, socket);
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...headers,
    });
    this.res.flushHeaders();
    // A stream ended by something else (the exception filter, a destroyed socket) stops its own ping.
    this.ping = setInterval(() => {
      if (this.res.writableEnded || this.res.destroyed) clearInterval(this.ping);
      else this.res.write(': ping\n\n');
    }, pingMs);
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

function uncork(socket: Socket): void {
  socket.uncork();
}
