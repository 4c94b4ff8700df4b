import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { ServerProcess, spawnServer } from '../support/server-process';
import { SseFrame, startPost, textChunks } from '../support/sse';
import { resetDatabase, startApp } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testEnv } from '../support/test-env';
import { sleep, until } from '../support/wait';

/** `count` chunks, one every `everyMs`: a stream of count × everyMs. */
const slowChunks = (count: number, everyMs: number) => ({
  chunks: Array.from({ length: count }, (_, i) => `part${i} `),
  chunkDelayMs: everyMs,
});

/** The content of every /v1 chunk, in order. */
const v1Text = (frames: SseFrame[]) =>
  frames
    .filter((f) => f.data !== '[DONE]')
    .map((f) => JSON.parse(f.data) as { choices?: { delta: { content?: string } }[] })
    .map((c) => c.choices?.[0]?.delta.content ?? '')
    .join('');

/** A connection refused at the socket: the port no longer listens. */
const connectionError = (url: string) =>
  new Promise<string>((resolve) => {
    const req = httpRequest(url, { agent: false }, () => resolve('answered'));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });

/**
 * One kept-alive connection: `first` is sent now, `second` later on the same socket; resolves
 * with the statuses and bodies read until the server closes it.
 */
function keptAlive(port: number, first: string) {
  const socket = connect(port, '127.0.0.1');
  socket.write(first);
  let raw = '';
  socket.on('data', (d: Buffer) => (raw += d.toString()));
  const closed = new Promise<string>((r) => socket.on('close', () => r(raw)));
  socket.on('error', () => undefined);
  return { send: (second: string) => socket.write(second), closed };
}

const httpText = (method: string, path: string, token: string, body?: unknown) => {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return (
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n` +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
  );
};

/** SIGTERM to the built server while it answers (SPEC §11): nothing lost, nothing stuck, exit 0. */
describe('SIGTERM during requests (SPEC §11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-shutdown-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shutdown.db')}`;
  let llm: FakeLlm;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    llm = await startFakeLlm();
    await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    llm.reset();
  });
  afterAll(async () => {
    await llm.close();
  });

  async function boot(shutdownTimeoutMs: number) {
    server = spawnServer({
      DATABASE_URL: databaseUrl,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      OPENAI_API_KEY: 'sk-shutdown-test',
      OPENAI_BASE_URL: llm.baseURL,
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      SSE_PING_INTERVAL_MS: '100000',
    });
    await server.waitForOutput(/listening on/);
    const base = `http://127.0.0.1:${server.port}`;
    const login = await request(base)
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(200);
    const token: string = login.body.access_token;
    const auth = { Authorization: `Bearer ${token}` };
    // Started one after the other, so each takes the fake's behaviours in order.
    const chatStream = async (message: string) => {
      const res = await startPost(`${base}/api/v1/chat/stream`, { message, model: 'gpt-4o' }, auth)
        .response;
      expect(res.status).toBe(200);
      await res.waitFor((frames) => frames.length >= 1);
      return res;
    };
    const v1Stream = async (content: string) => {
      const res = await startPost(
        `${base}/v1/chat/completions`,
        { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content }] },
        auth,
      ).response;
      expect(res.status).toBe(200);
      await res.waitFor((frames) => frames.length >= 2);
      return res;
    };
    return { proc: server, base, token, chatStream, v1Stream };
  }

  /** The stored messages of a session, read by a fresh app once the server has exited. */
  async function storedTurn(sessionId: string) {
    const t = await startApp(testEnv({ DATABASE_URL: databaseUrl }), { reset: false });
    try {
      const res = await t
        .http()
        .get(`/api/v1/sessions/${sessionId}/messages?order=asc`)
        .set('Authorization', `Bearer ${t.adminToken}`)
        .expect(200);
      return res.body.data as { id: string; role: string; content: string; status: string }[];
    } finally {
      await t.close();
    }
  }

  it('lets streams and requests in flight run to their end, refuses new ones, then exits 0', async () => {
    // ~5 s streams on both chat routes, and a plain chat of 2.5 s, when SIGTERM arrives 1 s in.
    llm.behave(slowChunks(20, 250), slowChunks(20, 250), {
      reply: 'the plain answer',
      delayMs: 2500,
    });
    const { proc, base, token, chatStream, v1Stream } = await boot(30000);
    const chat = await chatStream('first stream');
    const v1 = await v1Stream('second stream');
    const conn = keptAlive(
      proc.port,
      httpText('POST', '/api/v1/chat', token, { message: 'plain question', model: 'gpt-4o' }),
    );
    await sleep(1000);

    proc.proc.kill('SIGTERM');
    await sleep(300);
    // A new connection is refused; a new request on a kept-alive one is answered 503.
    expect(await connectionError(`${base}/health/live`)).toBe('ECONNREFUSED');
    conn.send(httpText('GET', '/api/v1/users/me', token));
    const answers = await conn.closed;
    expect([...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])).toEqual(['200', '503']);
    expect(answers).toContain('"response":"the plain answer"');
    expect(answers).toMatch(/"code":"SERVICE_UNAVAILABLE"/);

    const exit = await proc.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });

    await chat.ended;
    const frames = chat.parsed().frames;
    expect(frames.at(-1)).toEqual({ event: 'message', data: '[DONE]' });
    expect(frames.at(-2)!.event).toBe('usage');
    const full = slowChunks(20, 250).chunks.join('');
    expect(textChunks(frames).join('')).toBe(full);
    const usage = JSON.parse(frames.at(-2)!.data) as { message_id: string };

    await v1.ended;
    const v1Frames = v1.parsed().frames;
    expect(v1Frames.at(-1)!.data).toBe('[DONE]');
    expect(v1Text(v1Frames)).toBe(full);
    expect(JSON.parse(v1Frames.at(-2)!.data).choices[0].finish_reason).toBe('stop');

    const stored = await storedTurn(chat.headers['x-session-id'] as string);
    expect(stored.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(stored[1]).toMatchObject({ id: usage.message_id, content: full });
  });

  it('at SHUTDOWN_TIMEOUT_MS ends the streams still open with SERVICE_UNAVAILABLE and [DONE], storing the partial turn', async () => {
    // 10 s streams and 10 s plain answers; the deadline is 2 s after SIGTERM.
    llm.behave(
      slowChunks(40, 250),
      slowChunks(40, 250),
      { reply: 'too late', delayMs: 10000 },
      { reply: 'too late', delayMs: 10000 },
    );
    const { proc, base, token, chatStream, v1Stream } = await boot(2000);
    const chat = await chatStream('a long stream');
    const v1 = await v1Stream('another long stream');
    const auth = { Authorization: `Bearer ${token}` };
    const plain = request(base)
      .post('/api/v1/chat')
      .set(auth)
      .send({ message: 'a slow question', model: 'gpt-4o' })
      .then((r) => r);
    await until('the third provider request', async () => llm.requests.length === 3);
    const v1Plain = request(base)
      .post('/v1/chat/completions')
      .set(auth)
      .send({ model: 'gpt-4o', messages: [{ role: 'user', content: 'slow' }] })
      .then((r) => r);
    await until('the fourth provider request', async () => llm.requests.length === 4);

    proc.proc.kill('SIGTERM');
    const atSignal = textChunks(chat.parsed().frames).length;
    const exit = await proc.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });

    await chat.ended;
    const frames = chat.parsed().frames;
    expect(frames.at(-1)).toEqual({ event: 'message', data: '[DONE]' });
    expect(frames.at(-2)!.event).toBe('error');
    const body = JSON.parse(frames.at(-2)!.data);
    expect(body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/shutting down/),
    });
    const sent = textChunks(frames);
    // The stream went on after SIGTERM, until the deadline cut it.
    expect(sent.length).toBeGreaterThan(atSignal + 2);
    expect(sent.length).toBeLessThan(40);

    await v1.ended;
    const v1Frames = v1.parsed().frames;
    expect(v1Frames.at(-1)!.data).toBe('[DONE]');
    expect(JSON.parse(v1Frames.at(-2)!.data)).toEqual({
      error: {
        message: expect.stringMatching(/shutting down/),
        type: 'api_error',
        code: 'service_unavailable',
        param: null,
      },
    });
    expect(v1Text(v1Frames).length).toBeGreaterThan(0);

    // Plain answers still waiting at the deadline are a 503, not a dropped connection.
    const cut = await plain;
    expect(cut.status).toBe(503);
    expect(cut.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const v1Cut = await v1Plain;
    expect(v1Cut.status).toBe(503);
    expect(v1Cut.body.error).toMatchObject({ code: 'service_unavailable', type: 'api_error' });

    // What the client saw is what was stored, marked incomplete.
    const stored = await storedTurn(chat.headers['x-session-id'] as string);
    expect(stored.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'incomplete'],
    ]);
    expect(stored[1]).toMatchObject({ id: body.error.details.message_id, content: sent.join('') });
  });
});
