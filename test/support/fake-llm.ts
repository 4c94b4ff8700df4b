import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one request to the fake provider received. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    messages: { role: string; content: string }[];
    temperature?: number;
    max_tokens?: number;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
  };
  /** Set when the caller closed the connection before the answer ended. */
  aborted: boolean;
  closedAt?: number;
}

/** How the fake answers the next request(s); the default is a short reply. */
export interface Behaviour {
  /** The reply, sent as these chunks when streamed (default: the text split in words). */
  reply?: string;
  chunks?: string[];
  /** Wait before the answer (or the first chunk), and between chunks. */
  delayMs?: number;
  chunkDelayMs?: number;
  /** Answer with this status and an OpenAI-style error body. */
  status?: number;
  retryAfter?: string;
  /** Stop after this many chunks and hang up without finishing. */
  dropAfterChunks?: number;
  /** Never answer. */
  hang?: boolean;
  /** Hold the answer (plain) or the last chunk and the end (streamed) until this settles. */
  holdLast?: Promise<unknown>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

export interface FakeLlm {
  url: string;
  /** Base URL as the `openai` client wants it (…/v1). */
  baseURL: string;
  requests: ReceivedRequest[];
  /** Behaviours used one per request, in order; the last one stays for all later requests. */
  behave(...behaviours: Behaviour[]): void;
  reset(): void;
  close(): Promise<void>;
}

// Unref: a slow answer still pending when a test ends must not keep Jest from exiting.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** Drops the connection mid-answer, after what was written has left the socket. */
async function hangUp(res: ServerResponse): Promise<void> {
  await new Promise<void>((r) => res.write('', () => r()));
  await sleep(20);
  res.destroy();
}

/** A small OpenAI-compatible Chat Completions server on 127.0.0.1: the only thing tests fake. */
export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: ReceivedRequest[] = [];
  let queue: Behaviour[] = [{}];
  const sockets = new Set<import('node:net').Socket>();

  const next = (): Behaviour => (queue.length > 1 ? queue.shift()! : queue[0]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const received: ReceivedRequest = {
      path: req.url,
      headers: req.headers,
      body: JSON.parse(raw),
      aborted: false,
    };
    requests.push(received);
    res.on('close', () => {
      received.closedAt = Date.now();
      if (!res.writableFinished) received.aborted = true;
    });
    const b = next();
    if (b.hang) return;
    if (b.delayMs) await sleep(b.delayMs);
    if (b.status) {
      res.writeHead(b.status, {
        'Content-Type': 'application/json',
        ...(b.retryAfter ? { 'Retry-After': b.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({ error: { message: `fake error ${b.status}`, type: 'fake', code: null } }),
      );
      return;
    }
    const reply = b.reply ?? 'Hello from the fake model';
    const usage =
      b.usage === null ? undefined : (b.usage ?? { prompt_tokens: 11, completion_tokens: 7 });
    const model = received.body.model;
    if (!received.body.stream) {
      await b.holdLast;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [
            { index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' },
          ],
          ...(usage
            ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }
            : {}),
        }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunks = b.chunks ?? reply.match(/\S+\s*/g) ?? [];
    const frame = (delta: object, finish: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-fake',
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...extra,
      })}\n\n`;
    res.write(frame({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < chunks.length; i++) {
      if (b.dropAfterChunks !== undefined && i >= b.dropAfterChunks) {
        await hangUp(res);
        return;
      }
      if (i > 0 && b.chunkDelayMs) await sleep(b.chunkDelayMs);
      if (i === chunks.length - 1) await b.holdLast;
      if (res.destroyed) return;
      res.write(frame({ content: chunks[i] }, null));
    }
    if (b.dropAfterChunks !== undefined && chunks.length <= b.dropAfterChunks) {
      await hangUp(res);
      return;
    }
    res.write(frame({}, 'stop'));
    if (usage && received.body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion.chunk',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    behave: (...behaviours) => {
      queue = behaviours.length > 0 ? behaviours : [{}];
    },
    reset: () => {
      requests.length = 0;
      queue = [{}];
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
