import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Agent } from 'undici';

import { OpenAICompatibleProvider } from './openai-compatible.provider';
import type { ChatRequest } from './provider.types';

const frame = (body: object) => `data: ${JSON.stringify(body)}\n\n`;
const chunk = (delta: object, finish: string | null = null) =>
  frame({
    id: 'c1',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

describe(OpenAICompatibleProvider.name, () => {
  let server: Server;
  let connections = 0;
  let agent: Agent;
  let provider: OpenAICompatibleProvider;
  const never = new AbortController().signal;
  const request = (wire: boolean, content = 'hi'): ChatRequest => ({
    model: 'm',
    messages: [{ role: 'user', content }],
    signal: never,
    shutdown: never,
    ...(wire ? { wire: { messages: [{ role: 'user', content }], includeUsage: false } } : {}),
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        if (!(JSON.parse(raw) as { stream?: boolean }).stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }] }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (raw.includes('"broken"')) {
          // In one write: the bad chunk lands in the same read as the good one and [DONE].
          res.end(chunk({ content: 'one ' }) + 'data: {"choices": [\n\n' + 'data: [DONE]\n\n');
          return;
        }
        if (raw.includes('"unfinished"') || raw.includes('"cut"')) {
          // No finish_reason in any chunk; then [DONE], or the body just ends.
          res.write(chunk({ content: 'one ' }));
          res.end(raw.includes('"cut"') ? '' : 'data: [DONE]\n\n');
          return;
        }
        res.write(chunk({ content: 'one ' }));
        res.write(chunk({ content: 'two' }, 'stop'));
        res.write(
          frame({ id: 'c1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }),
        );
        // The end of the body comes after [DONE], as over a real network it can.
        res.write('data: [DONE]\n\n');
        setTimeout(() => res.end(), 20);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    agent = new Agent({ keepAliveTimeout: 30_000 });
    const { port } = server.address() as AddressInfo;
    provider = new OpenAICompatibleProvider(
      { name: 'local', baseURL: `http://127.0.0.1:${port}/v1/`, models: ['m'] },
      { timeoutMs: 5_000, maxRetries: 0 },
      agent,
    );
  });

  afterAll(async () => {
    await agent.close();
    await new Promise((r) => server.close(r));
  });

  it('reads streams to their end and keeps their connections in the pool', async () => {
    for (const wire of [false, true, false, true, false, true]) {
      expect((await provider.complete(request(wire))).content).toBe('ok');
      const text = await provider.stream(request(wire));
      const got: string[] = [];
      for await (const piece of text) got.push(piece);
      expect(text.complete).toBe(true);
      expect(text.usage).toEqual({ input: 3, output: 2 });
      if (!wire) expect(got).toEqual(['one ', 'two']);
      // The usage-only chunk goes to a /v1 caller only when it asked for it.
      else expect(got.join('')).not.toContain('usage');
    }
    // Sequential calls: a socket is back in the pool a tick after its answer, hence up to two.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('shows what came before a bad chunk, then tells the reply broke off', async () => {
    for (const wire of [false, true]) {
      const stream = await provider.stream(request(wire, 'broken'));
      const got: string[] = [];
      const failure = await (async () => {
        for await (const piece of stream) got.push(piece);
      })().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toMatchObject({
        code: 'UPSTREAM_ERROR',
        message: 'The model provider local broke off the reply',
      });
      expect(got.join('')).toContain('one ');
      expect(stream.complete).toBe(false);
    }
  });

  it('takes [DONE] as the end of a reply that carries no finish_reason; a body that just stops was cut', async () => {
    for (const wire of [false, true]) {
      const whole = await provider.stream(request(wire, 'unfinished'));
      const got: string[] = [];
      for await (const piece of whole) got.push(piece);
      expect(whole.complete).toBe(true);
      expect(got.join('')).toContain('one ');

      const cut = await provider.stream(request(wire, 'cut'));
      const failure = await (async () => {
        for await (const piece of cut) void piece;
      })().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toMatchObject({
        code: 'UPSTREAM_ERROR',
        message: 'The model provider ended the reply early',
      });
      expect(cut.complete).toBe(false);
    }
  });
});
