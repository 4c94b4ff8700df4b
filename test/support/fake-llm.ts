import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one request to the fake provider received. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    messages: { role: string; content: unknown; [field: string]: unknown }[];
    temperature?: number;
    max_tokens?: number;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    n?: number;
    tools?: { type: string; function: { name: string } }[];
    response_format?: { type: string; json_schema?: { schema?: JsonSchema } };
    logprobs?: boolean;
    top_logprobs?: number;
    [field: string]: unknown;
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
  /** Answer with these tool calls (finish_reason `tool_calls`), streamed as OpenAI streams them. */
  toolCalls?: { id?: string; name: string; arguments: string }[];
  /** Answer with a refusal instead of content. */
  refusal?: string;
  /** Answer with this body as it is (status 200, JSON), as a broken provider might. */
  rawBody?: string;
  /** With `status`: the `error` object of the body (default: a fake one). */
  error?: { message: string; type: string; code: string | null; param: string | null };
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
}

/** A value that fits a JSON schema, as a model in JSON-schema mode answers. */
function sampleOf(schema: JsonSchema | undefined): unknown {
  if (schema?.enum?.length) return schema.enum[0];
  switch (schema?.type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sampleOf(v)]),
      );
    case 'array':
      return [sampleOf(schema.items)];
    case 'number':
    case 'integer':
      return 42;
    case 'boolean':
      return true;
    default:
      return 'fake';
  }
}

/** The reply a request gets when its behaviour names none: JSON in JSON modes, else a sentence. */
function defaultReply(body: ReceivedRequest['body']): string {
  const format = body.response_format;
  if (format?.type === 'json_schema') return JSON.stringify(sampleOf(format.json_schema?.schema));
  if (format?.type === 'json_object') return JSON.stringify({ answer: 'fake' });
  return 'Hello from the fake model';
}

/** OpenAI's logprobs of some text, one entry per word. */
function logprobsOf(pieces: string[], top: number) {
  return {
    content: pieces.map((token) => ({
      token,
      logprob: -0.5,
      bytes: [...Buffer.from(token)],
      top_logprobs: Array.from({ length: top }, (_, i) => ({
        token: i === 0 ? token : `alt${i}`,
        logprob: -0.5 - i,
        bytes: [...Buffer.from(i === 0 ? token : `alt${i}`)],
      })),
    })),
    refusal: null,
  };
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
        JSON.stringify({
          error: b.error ?? { message: `fake error ${b.status}`, type: 'fake', code: null },
        }),
      );
      return;
    }
    if (b.rawBody !== undefined) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(b.rawBody);
      return;
    }
    const reply = b.reply ?? defaultReply(received.body);
    const n = received.body.n ?? 1;
    const calls = b.toolCalls?.map((c, i) => ({
      id: c.id ?? `call_fake${i}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
    const finishReason = calls ? 'tool_calls' : 'stop';
    const wantLogprobs = received.body.logprobs === true;
    const top = received.body.top_logprobs ?? 0;
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
          choices: Array.from({ length: n }, (_, index) => ({
            index,
            message: {
              role: 'assistant',
              content: calls || b.refusal ? null : reply,
              refusal: b.refusal ?? null,
              ...(calls ? { tool_calls: calls } : {}),
            },
            logprobs: wantLogprobs && !calls ? logprobsOf(reply.match(/\S+\s*/g) ?? [], top) : null,
            finish_reason: finishReason,
          })),
          ...(usage
            ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }
            : {}),
        }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunks = b.chunks ?? reply.match(/\S+\s*/g) ?? [];
    const frame = (delta: object, finish: string | null, index = 0, logprobs: unknown = null) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-fake',
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index, delta, logprobs, finish_reason: finish }],
      })}\n\n`;
    if (calls || b.refusal) {
      // As OpenAI streams tool calls: id, type and name first, then the arguments in pieces.
      for (let index = 0; index < n; index++) {
        if (b.refusal) {
          res.write(frame({ role: 'assistant', content: null, refusal: '' }, null, index));
          res.write(frame({ refusal: b.refusal }, null, index));
        } else {
          res.write(frame({ role: 'assistant', content: null }, null, index));
          for (const [i, call] of calls!.entries()) {
            res.write(
              frame(
                {
                  tool_calls: [
                    {
                      index: i,
                      id: call.id,
                      type: 'function',
                      function: { name: call.function.name, arguments: '' },
                    },
                  ],
                },
                null,
                index,
              ),
            );
            for (const piece of call.function.arguments.match(/.{1,4}/gs) ?? []) {
              if (b.chunkDelayMs) await sleep(b.chunkDelayMs);
              res.write(
                frame({ tool_calls: [{ index: i, function: { arguments: piece } }] }, null, index),
              );
            }
          }
        }
        res.write(frame({}, finishReason, index));
      }
    } else {
      for (let index = 0; index < n; index++) {
        res.write(frame({ role: 'assistant', content: '' }, null, index));
        for (let i = 0; i < chunks.length; i++) {
          if (b.dropAfterChunks !== undefined && i >= b.dropAfterChunks) {
            await hangUp(res);
            return;
          }
          if (i > 0 && b.chunkDelayMs) await sleep(b.chunkDelayMs);
          if (i === chunks.length - 1) await b.holdLast;
          if (res.destroyed) return;
          res.write(
            frame(
              { content: chunks[i] },
              null,
              index,
              wantLogprobs ? logprobsOf([chunks[i]], top) : null,
            ),
          );
        }
        if (b.dropAfterChunks !== undefined && chunks.length <= b.dropAfterChunks) {
          await hangUp(res);
          return;
        }
        res.write(frame({}, 'stop', index));
      }
    }
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
