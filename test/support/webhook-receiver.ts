import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived: a signature is over these bytes. */
  rawBody: string;
  /** When the whole body had arrived (ms since the epoch). */
  at: number;
}

export interface ScriptedAnswer {
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface WebhookEvent {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  requests: ReceivedRequest[];
  /** Queues answers for the next requests, in order; once used up, the default answer. */
  answer(...answers: (number | ScriptedAnswer)[]): void;
  /** The answer for requests with nothing queued (200 with an empty body at first). */
  setDefault(answer: number | ScriptedAnswer): void;
  /** Waits for at least `count` requests (and returns them all). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Verifies every request with the `standardwebhooks` library and returns the events. */
  events(secret: string): WebhookEvent[];
  close(): Promise<void>;
}

const toAnswer = (a: number | ScriptedAnswer): ScriptedAnswer =>
  typeof a === 'number' ? { status: a } : a;

/** Verifies one request as a receiver would: throws when the signature or timestamp is wrong. */
export function verifyRequest(secret: string, req: ReceivedRequest): WebhookEvent {
  return new Webhook(secret).verify(
    req.rawBody,
    req.headers as Record<string, string>,
  ) as WebhookEvent;
}

/** A real HTTP server on 127.0.0.1 standing in for a customer's webhook endpoint. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const queued: ScriptedAnswer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let fallback: ScriptedAnswer = { status: 200 };

  const respond = (res: ServerResponse, a: ScriptedAnswer) => {
    if (res.destroyed) return;
    res.writeHead(a.status ?? 200, {
      'Content-Type': 'text/plain',
      ...(a.headers ?? {}),
    });
    res.end(a.body ?? '');
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const a = queued.shift() ?? fallback;
      if (!a.delayMs) return respond(res, a);
      const timer = setTimeout(() => {
        timers.delete(timer);
        respond(res, a);
      }, a.delayMs);
      timers.add(timer);
    });
    // The sender may give up (timeout, killed worker) before we answer.
    res.on('error', () => undefined);
    req.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    answer: (...answers) => queued.push(...answers.map(toAnswer)),
    setDefault: (a) => {
      fallback = toAnswer(a);
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `receiver: ${requests.length} of ${count} requests after ${timeoutMs} ms`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
      return requests;
    },
    events: (secret) => requests.map((r) => verifyRequest(secret, r)),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts a receiver and adds it to `started`, which the spec closes in its afterAll. */
export async function startTrackedReceiver(started: WebhookReceiver[]): Promise<WebhookReceiver> {
  const receiver = await startWebhookReceiver();
  started.push(receiver);
  return receiver;
}
