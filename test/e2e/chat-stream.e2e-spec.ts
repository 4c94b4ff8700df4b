import { randomUUID } from 'node:crypto';

import { createUser, TestUser } from '../factories/users.factory';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { UUID } from '../support/matchers';
import { LiveResponse, openPost, serverUrl, SseFrame, startPost, textChunks } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, sleep } from '../support/wait';

const STREAM = '/api/v1/chat/stream';

interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'incomplete';
  tokens: number;
}

const isDone = (frames: SseFrame[]) => frames.some((f) => f.data === '[DONE]');

/** The frames after the text chunks: what ended the stream, then [DONE] and nothing more. */
function tail(frames: SseFrame[]): SseFrame[] {
  return frames.filter((f) => f.event !== 'message' || f.data === '[DONE]');
}

function streamApi(get: () => TestApp) {
  /** A whole stream (or JSON error) read to its end. */
  const stream = async (token: string, body: object) => {
    const res = await openPost(`${serverUrl(get().app.getHttpServer())}${STREAM}`, body, {
      Authorization: `Bearer ${token}`,
    });
    const text = await res.ended;
    return { res, text, ...res.parsed() };
  };

  const open = (token: string, body: object): Promise<LiveResponse> =>
    openPost(`${serverUrl(get().app.getHttpServer())}${STREAM}`, body, {
      Authorization: `Bearer ${token}`,
    });

  /** The session's messages, oldest first; null while the session does not exist. */
  const messages = async (token: string, sessionId: string): Promise<StoredMessage[] | null> => {
    const res = await get()
      .http()
      .get(`/api/v1/sessions/${sessionId}/messages?limit=100&order=asc`)
      .set('Authorization', `Bearer ${token}`);
    if (res.status === 404) return null;
    expect(res.status).toBe(200);
    return res.body.data;
  };

  const stored = async (): Promise<{ sessions: number; messages: number }> => {
    const db = get().db;
    const [s] = await db.query('SELECT COUNT(*) AS n FROM sessions');
    const [m] = await db.query('SELECT COUNT(*) AS n FROM messages');
    return { sessions: Number(s.n), messages: Number(m.n) };
  };

  return { stream, open, messages, stored };
}

function expectJsonError(
  r: { res: LiveResponse; text: string },
  status: number,
  code: string,
): void {
  expect(r.res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(r.text);
  expect({ status: r.res.status, code: body?.error?.code }).toEqual({ status, code });
  expect(body).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Object) },
  });
}

describe('POST /chat/stream (SPEC §6)', () => {
  const KEY = `sk-test-${randomUUID()}`;
  const TIMEOUT_MS = 1500;
  let t: TestApp;
  let llm: FakeLlm;
  let user: TestUser;
  let other: TestUser;
  const { stream, open, messages, stored } = streamApi(() => t);

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startTestApp({
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: llm.baseURL,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    user = await createUser(t);
    other = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });
  beforeEach(() => llm.reset());

  it('sends one data event per chunk, then the usage event, then [DONE]', async () => {
    const chunks = ['Hel', 'lo', ', "wor', 'ld"\n', 'line two: ok', '!'];
    llm.behave({ chunks, usage: { prompt_tokens: 13, completion_tokens: 6 } });

    const { res, text, frames } = await stream(user.token, {
      message: 'greet me',
      model: 'gpt-4o',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    const sessionId = res.headers['x-session-id'] as string;
    expect(sessionId).toMatch(UUID);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);

    expect(frames.slice(0, chunks.length)).toEqual(
      chunks.map((c) => ({ event: 'message', data: JSON.stringify({ text: c }) })),
    );
    expect(textChunks(frames)).toEqual(chunks);
    expect(tail(frames).map((f) => f.event)).toEqual(['usage', 'message']);
    expect(frames).toHaveLength(chunks.length + 2);
    const usage = JSON.parse(frames[chunks.length].data);
    expect(usage).toEqual({
      session_id: sessionId,
      message_id: expect.stringMatching(UUID),
      tokens: { input: 13, output: 6 },
    });
    expect(frames[frames.length - 1].data).toBe('[DONE]');

    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
    expect(llm.requests[0].body).toMatchObject({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'greet me' }],
    });

    const list = await messages(user.token, sessionId);
    expect(list?.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'greet me', 'complete'],
      ['assistant', chunks.join(''), 'complete'],
    ]);
    expect(list![1].id).toBe(usage.message_id);
  });

  it('continues a given session and sends its history upstream', async () => {
    llm.behave({ chunks: ['one'] }, { chunks: ['two'] });
    const first = await stream(user.token, { message: 'first', model: 'gpt-4o' });
    const sessionId = first.res.headers['x-session-id'] as string;
    const second = await stream(user.token, {
      message: 'second',
      model: 'gpt-4o',
      session_id: sessionId,
    });
    expect(second.res.status).toBe(200);
    expect(second.res.headers['x-session-id']).toBe(sessionId);
    expect(JSON.parse(tail(second.frames)[0].data).session_id).toBe(sessionId);
    expect(llm.requests[1].body.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: 'second' },
    ]);
    const list = await messages(user.token, sessionId);
    expect(list?.map((m) => m.content)).toEqual(['first', 'one', 'second', 'two']);
  });

  it("streams the seed's example with the echo model", async () => {
    const { res, frames } = await stream(user.token, { message: '写一首诗' });
    expect(res.status).toBe(200);
    expect(textChunks(frames).join('')).toBe('写一首诗');
    expect(tail(frames).map((f) => f.event)).toEqual(['usage', 'message']);
    expect(frames[frames.length - 1].data).toBe('[DONE]');
    const usage = JSON.parse(tail(frames)[0].data);
    expect(usage.tokens.input).toBeGreaterThan(0);
    expect(usage.tokens.output).toBeGreaterThan(0);
    expect(llm.requests).toHaveLength(0);
  });

  it('streams the echo model word by word', async () => {
    const message = 'spring sleep,  unaware of dawn';
    const { res, frames } = await stream(user.token, { message, model: 'echo' });
    expect(res.status).toBe(200);
    expect(textChunks(frames)).toEqual(['spring ', 'sleep,  ', 'unaware ', 'of ', 'dawn']);
    const list = await messages(user.token, res.headers['x-session-id'] as string);
    expect(list?.map((m) => [m.content, m.status])).toEqual([
      [message, 'complete'],
      [message, 'complete'],
    ]);
  });

  describe('errors before the first byte are plain JSON and store nothing', () => {
    it('an unknown model is 404 MODEL_NOT_FOUND', async () => {
      const before = await stored();
      expectJsonError(
        await stream(user.token, { message: 'hi', model: 'no-such-model' }),
        404,
        'MODEL_NOT_FOUND',
      );
      const deepseek = await stream(user.token, { message: 'hi', model: 'deepseek-chat' });
      expectJsonError(deepseek, 404, 'MODEL_NOT_FOUND');
      expect(JSON.parse(deepseek.text).error.message).toContain('DEEPSEEK_API_KEY');
      expect(await stored()).toEqual(before);
    });

    it('a provider 500 is retried, then 502 UPSTREAM_ERROR', async () => {
      llm.behave({ status: 500 });
      const before = await stored();
      expectJsonError(
        await stream(user.token, { message: 'hi', model: 'gpt-4o' }),
        502,
        'UPSTREAM_ERROR',
      );
      expect(llm.requests).toHaveLength(3);
      expect(await stored()).toEqual(before);
    });

    it('a provider 401 is 502 UPSTREAM_ERROR without a retry', async () => {
      llm.behave({ status: 401 });
      const before = await stored();
      const r = await stream(user.token, { message: 'hi', model: 'gpt-4o' });
      expectJsonError(r, 502, 'UPSTREAM_ERROR');
      expect(r.text).not.toContain(KEY);
      expect(llm.requests).toHaveLength(1);
      expect(await stored()).toEqual(before);
    });

    it('a provider silent for UPSTREAM_TIMEOUT_MS is 504 UPSTREAM_TIMEOUT', async () => {
      llm.behave({ delayMs: TIMEOUT_MS + 1000 });
      const before = await stored();
      expectJsonError(
        await stream(user.token, { message: 'hi', model: 'gpt-4o' }),
        504,
        'UPSTREAM_TIMEOUT',
      );
      expect(llm.requests).toHaveLength(1);
      const req = await eventually(
        () => llm.requests[0],
        (r) => r.aborted,
        1000,
      );
      expect(req.aborted).toBe(true);
      expect(await stored()).toEqual(before);
    });

    it.each([
      ['unknown', () => randomUUID()],
      ['malformed', () => 'not-a-session'],
    ])('a session_id that is %s is 404 SESSION_NOT_FOUND', async (_kind, id) => {
      const before = await stored();
      expectJsonError(
        await stream(user.token, { message: 'hi', session_id: id() }),
        404,
        'SESSION_NOT_FOUND',
      );
      expect(await stored()).toEqual(before);
    });

    it("another user's session is 404 SESSION_NOT_FOUND", async () => {
      const theirs = await stream(other.token, { message: 'mine', model: 'echo' });
      const sessionId = theirs.res.headers['x-session-id'] as string;
      const before = await stored();
      expectJsonError(
        await stream(user.token, { message: 'hi', session_id: sessionId }),
        404,
        'SESSION_NOT_FOUND',
      );
      expect(await stored()).toEqual(before);
    });

    it.each([
      ['a missing message', {}],
      ['an empty message', { message: '' }],
      ['temperature 3', { message: 'hi', temperature: 3 }],
      ["temperature 'hot'", { message: 'hi', temperature: 'hot' }],
      ['an unknown field', { message: 'hi', stream: true }],
    ])('%s is 400 VALIDATION_ERROR', async (_kind, body) => {
      const before = await stored();
      expectJsonError(await stream(user.token, body), 400, 'VALIDATION_ERROR');
      expect(llm.requests).toHaveLength(0);
      expect(await stored()).toEqual(before);
    });
  });

  it('ends a stream the provider drops with an error event and [DONE], storing it incomplete', async () => {
    const chunks = ['The ', 'quick ', 'brown ', 'fox ', 'jumps'];
    llm.behave({ chunks, dropAfterChunks: 2, chunkDelayMs: 100 });
    const { res, text, frames } = await stream(user.token, { message: 'story', model: 'gpt-4o' });
    expect(res.status).toBe(200);
    expect(textChunks(frames)).toEqual(['The ', 'quick ']);
    expect(tail(frames).map((f) => f.event)).toEqual(['error', 'message']);
    const error = JSON.parse(tail(frames)[0].data);
    expect(error).toEqual({
      error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) },
    });
    expect(error.error.code).toBe('UPSTREAM_ERROR');
    expect(frames[frames.length - 1].data).toBe('[DONE]');
    expect(text).not.toContain('event: usage');

    const list = await eventually(
      () => messages(user.token, res.headers['x-session-id'] as string),
      (l) => l?.length === 2,
      2000,
    );
    expect(list?.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'story', 'complete'],
      ['assistant', 'The quick ', 'incomplete'],
    ]);
  });

  it('ends a stream that stalls longer than UPSTREAM_TIMEOUT_MS with UPSTREAM_TIMEOUT, storing it incomplete', async () => {
    llm.behave({ chunks: ['slow ', 'then ', 'stuck'], chunkDelayMs: TIMEOUT_MS + 1000 });
    const started = Date.now();
    const { res, frames } = await stream(user.token, { message: 'stall', model: 'gpt-4o' });
    const took = Date.now() - started;
    expect(res.status).toBe(200);
    expect(textChunks(frames)).toEqual(['slow ']);
    expect(tail(frames).map((f) => f.event)).toEqual(['error', 'message']);
    expect(JSON.parse(tail(frames)[0].data).error.code).toBe('UPSTREAM_TIMEOUT');
    expect(frames[frames.length - 1].data).toBe('[DONE]');
    expect(took).toBeLessThan(TIMEOUT_MS + 900);
    expect(llm.requests).toHaveLength(1);
    const req = await eventually(
      () => llm.requests[0],
      (r) => r.closedAt !== undefined,
      1000,
    );
    expect(req.aborted).toBe(true);

    const list = await eventually(
      () => messages(user.token, res.headers['x-session-id'] as string),
      (l) => l?.length === 2,
      2000,
    );
    expect(list?.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'stall', 'complete'],
      ['assistant', 'slow ', 'incomplete'],
    ]);
  });

  it('aborts the upstream request within a second of the client leaving, storing the partial reply as incomplete', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => `w${i} `);
    llm.behave({ chunks, chunkDelayMs: 200 });
    const live = await open(user.token, { message: 'long story', model: 'gpt-4o' });
    expect(live.status).toBe(200);
    const sessionId = live.headers['x-session-id'] as string;
    await live.waitFor((frames) => textChunks(frames).length >= 3);
    const seen = textChunks(live.parsed().frames).join('');

    const goneAt = Date.now();
    live.destroy();
    const req = await eventually(
      () => llm.requests[0],
      (r) => r.aborted,
      1500,
    );
    expect(req.aborted).toBe(true);
    expect(req.closedAt! - goneAt).toBeLessThan(1000);

    const list = await eventually(
      () => messages(user.token, sessionId),
      (l) => l?.length === 2,
      2000,
    );
    expect(list?.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'incomplete'],
    ]);
    const partial = list![1].content;
    expect(partial.startsWith(seen)).toBe(true);
    expect(partial.length).toBeLessThan(chunks.join('').length);
    expect(chunks.join('').startsWith(partial)).toBe(true);
    expect(llm.requests).toHaveLength(1);
  });

  it('aborts the upstream request when the client leaves before the first byte, storing nothing', async () => {
    llm.behave({ delayMs: 1500, chunks: ['too ', 'late'] });
    const before = await stored();
    const pending = startPost(
      `${serverUrl(t.app.getHttpServer())}${STREAM}`,
      { message: 'bye', model: 'gpt-4o' },
      { Authorization: `Bearer ${user.token}` },
    );
    await eventually(
      () => llm.requests.length,
      (n) => n === 1,
      2000,
    );
    await sleep(100);
    const goneAt = Date.now();
    pending.destroy();
    const req = await eventually(
      () => llm.requests[0],
      (r) => r.aborted,
      1500,
    );
    expect(req.aborted).toBe(true);
    expect(req.closedAt! - goneAt).toBeLessThan(1000);
    await sleep(1600);
    expect(llm.requests).toHaveLength(1);
    expect(await stored()).toEqual(before);
  });
});

describe('POST /chat/stream keep-alive (SPEC §6)', () => {
  let t: TestApp;
  let llm: FakeLlm;
  let user: TestUser;
  const { stream } = streamApi(() => t);

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startTestApp({
      OPENAI_API_KEY: `sk-test-${randomUUID()}`,
      OPENAI_BASE_URL: llm.baseURL,
      SSE_PING_INTERVAL_MS: '200',
    });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });

  it('sends a `: ping` comment while a slow stream is open, without disturbing the events', async () => {
    const chunks = ['slowly ', 'but ', 'surely'];
    llm.behave({ chunks, chunkDelayMs: 450 });
    const { res, text, comments, frames } = await stream(user.token, {
      message: 'take your time',
      model: 'gpt-4o',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(text).toContain(': ping\n\n');
    expect(comments.filter((c) => c === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(textChunks(frames)).toEqual(chunks);
    expect(tail(frames).map((f) => f.event)).toEqual(['usage', 'message']);
    expect(isDone(frames)).toBe(true);
    expect(frames[frames.length - 1].data).toBe('[DONE]');
  });
});
