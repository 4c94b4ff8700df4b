import type { Server } from 'node:http';
import { IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Server-Sent Event as it went over the wire: `event` is 'message' when none was named. */
export interface SseFrame {
  event: string;
  data: string;
}

export interface ParsedSse {
  frames: SseFrame[];
  /** Comment lines (`: ping`) without their leading colon and space. */
  comments: string[];
}

/** Parses a raw SSE body by hand, so comments stay visible; a trailing partial frame is left out. */
export function parseSse(raw: string): ParsedSse {
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  const blocks = raw.replace(/\r\n?/g, '\n').split('\n\n');
  blocks.pop();
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        comments.push(line.slice(1).trimStart());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return { frames, comments };
}

/** An SSE (or JSON error) response being read as it arrives. */
export interface LiveResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Everything received so far. */
  text(): string;
  parsed(): ParsedSse;
  /** Resolves once the received frames satisfy `done`; rejects after `timeoutMs`. */
  waitFor(done: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the whole body when the server ends the response. */
  ended: Promise<string>;
  /** Hangs up the client socket, as a browser tab being closed would. */
  destroy(): void;
}

export function serverUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A request in flight: it can be hung up on before any answer arrives. */
export interface PendingPost {
  response: Promise<LiveResponse>;
  destroy(): void;
}

/** POSTs JSON with node's own http client; `response` resolves as soon as the status line arrives. */
export function startPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): PendingPost {
  const payload = JSON.stringify(body);
  const req = request(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(payload),
      Accept: 'text/event-stream',
      ...headers,
    },
  });
  const response = new Promise<LiveResponse>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const w of waiters) w();
      });
      const ended = new Promise<string>((done, fail) => {
        res.on('end', () => done(text));
        res.on('error', fail);
        res.on('close', () => (res.complete ? done(text) : fail(new Error('response cut short'))));
      });
      ended.catch(() => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => text,
        parsed: () => parseSse(text),
        ended,
        destroy: () => {
          req.destroy();
          res.destroy();
        },
        waitFor: (done, timeoutMs = 5000) =>
          new Promise<void>((ok, fail) => {
            const check = () => {
              if (!done(parseSse(text).frames)) return;
              cleanup();
              ok();
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(
                new Error(`timed out waiting for SSE frames; received: ${JSON.stringify(text)}`),
              );
            }, timeoutMs);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          }),
      });
    });
  });
  response.catch(() => undefined);
  req.end(payload);
  return { response, destroy: () => req.destroy() };
}

export function openPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LiveResponse> {
  return startPost(url, body, headers).response;
}

/** The `text` of every plain data frame, in order. */
export function textChunks(frames: SseFrame[]): string[] {
  return frames
    .filter((f) => f.event === 'message' && f.data !== '[DONE]')
    .map((f) => (JSON.parse(f.data) as { text: string }).text);
}
