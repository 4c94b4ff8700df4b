import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { ISO_UTC, MESSAGE_FIELDS, UUID } from '../support/matchers';
import { serverUrl, startPost } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, sleep } from '../support/wait';

const CHAT = '/api/v1/chat';

interface StoredMessage {
  id: string;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  model: string | null;
  tokens: number;
  status: 'complete' | 'incomplete';
  created_at: string;
}

/** Helpers bound to one running app. */
function chatApi(get: () => TestApp) {
  const chat = (token: string | undefined, body: object) => {
    const req = get().http().post(CHAT);
    return (token === undefined ? req : req.set('Authorization', `Bearer ${token}`)).send(body);
  };

  const messages = async (
    token: string,
    sessionId: string,
    order: 'asc' | 'desc' = 'asc',
  ): Promise<StoredMessage[]> => {
    const res = await get()
      .http()
      .get(`/api/v1/sessions/${sessionId}/messages?limit=100&order=${order}`)
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(res.body.data.length);
    return res.body.data;
  };

  /** Rows in the whole database, so a failed turn that stored anything anywhere shows up. */
  const stored = async (): Promise<{ sessions: number; messages: number }> => {
    const db = get().db;
    const [s] = await db.query('SELECT COUNT(*) AS n FROM sessions');
    const [m] = await db.query('SELECT COUNT(*) AS n FROM messages');
    return { sessions: Number(s.n), messages: Number(m.n) };
  };

  const createSession = async (token: string, body: object = {}): Promise<string> => {
    const res = await get()
      .http()
      .post('/api/v1/sessions')
      .set('Authorization', `Bearer ${token}`)
      .send(body);
    expect(res.status).toBe(201);
    return res.body.id;
  };

  return { chat, messages, stored, createSession };
}

describe('POST /chat with the echo model and no provider configured (SPEC §5, §6)', () => {
  let t: TestApp;
  let user: TestUser;
  let other: TestUser;
  const { chat, messages, stored, createSession } = chatApi(() => t);

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
    other = await createUser(t);
  });
  afterAll(() => t.close());

  it("answers the seed's request to the letter, with an API key", async () => {
    const key = await createApiKey(t, user.token);
    const res = await chat(key, { message: '你好' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      response: '你好',
      session_id: expect.stringMatching(UUID),
      message_id: expect.stringMatching(UUID),
      model: 'echo',
      tokens: { input: expect.any(Number), output: expect.any(Number) },
    });
    expect(res.body.tokens.input).toBeGreaterThan(0);
    expect(res.body.tokens.output).toBeGreaterThan(0);
    expect(Number.isInteger(res.body.tokens.input)).toBe(true);
    expect(Number.isInteger(res.body.tokens.output)).toBe(true);
  });

  it("stops echo's reply at the config's max_tokens, plain and streamed, and stores what it said", async () => {
    const admin = { Authorization: `Bearer ${t.adminToken}` };
    const before = (await t.http().get('/api/v1/config').set(admin).expect(200)).body.max_tokens;
    await t.http().patch('/api/v1/config').set(admin).send({ max_tokens: 3 }).expect(200);
    try {
      const res = await chat(user.token, { message: 'one two three four five' });
      expect(res.status).toBe(200);
      expect(res.body.response).toBe('one two three');
      expect(res.body.tokens.output).toBe(3);
      const [, assistant] = await messages(user.token, res.body.session_id);
      expect(assistant).toMatchObject({ content: 'one two three', tokens: 3, status: 'complete' });

      const streamed = await t
        .http()
        .post('/api/v1/chat/stream')
        .set('Authorization', `Bearer ${user.token}`)
        .send({ message: 'six seven eight nine' });
      expect(streamed.status).toBe(200);
      const words = streamed.text
        .split('\n\n')
        .filter((block) => block.startsWith('data: {'))
        .map((block) => (JSON.parse(block.slice(6)) as { text: string }).text);
      expect(words.join('')).toBe('six seven eight');
    } finally {
      await t.http().patch('/api/v1/config').set(admin).send({ max_tokens: before }).expect(200);
    }
  });

  it('refuses half of a surrogate pair with 400 and stores nothing, on every route', async () => {
    const before = await stored();
    const half = 'broken \ud83d here';
    for (const [path, body, field] of [
      [CHAT, { message: half }, 'message'],
      ['/api/v1/chat/stream', { message: half }, 'message'],
      [
        '/v1/chat/completions',
        { model: 'echo', messages: [{ role: 'user', content: half }] },
        'messages.0.content',
      ],
    ] as const) {
      const res = await t.http().post(path).set('Authorization', `Bearer ${user.token}`).send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    }
    expect(await stored()).toEqual(before);
  });

  it('counts long runs of letters and of spaces without holding the server: chat and /v1', async () => {
    // Encoding a run of letters whole takes time quadratic in its length: minutes for these.
    const message = 'z'.repeat(100_000);
    const res = await chat(user.token, { message });
    expect(res.status).toBe(200);
    // Cut at the config's max_tokens (4,096 by default), as a real model stops there.
    expect(message.startsWith(res.body.response)).toBe(true);
    expect(res.body.response.length).toBeGreaterThan(4096);
    expect(res.body.tokens.output).toBeLessThanOrEqual(4096);
    expect(res.body.tokens.input).toBeGreaterThan(4096);

    const wire = await t
      .http()
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ model: 'echo', messages: [{ role: 'user', content: 'y'.repeat(600_000) }] });
    expect(wire.status).toBe(200);
    expect(wire.body.choices[0].message.content).toBe('y'.repeat(600_000));
    expect(wire.body.usage.prompt_tokens).toBeGreaterThan(100_000);

    // Whitespace too: a run of spaces is one piece for the tokenizer.
    const spaced = `a${' '.repeat(300_000)}b`;
    const blank = await t
      .http()
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ model: 'echo', messages: [{ role: 'user', content: spaced }] });
    expect(blank.status).toBe(200);
    expect(blank.body.choices[0].message.content).toBe(spaced);
    expect(blank.body.usage.prompt_tokens).toBeGreaterThan(1_000);
  });

  it('takes the names of special tokens as text, plain, streamed and on /v1', async () => {
    const message = 'hi <|endoftext|> and <|im_start|>';
    const res = await chat(user.token, { message });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe(message);
    expect(res.body.tokens.output).toBeGreaterThan(5);

    const streamed = await t
      .http()
      .post('/api/v1/chat/stream')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ message });
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain('event: usage');
    expect(streamed.text.endsWith('data: [DONE]\n\n')).toBe(true);

    const wire = await t
      .http()
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ model: 'echo', messages: [{ role: 'user', content: message }], logprobs: true });
    expect(wire.status).toBe(200);
    expect(wire.body.choices[0].message.content).toBe(message);
    const tokens = wire.body.choices[0].logprobs.content.map((p: { token: string }) => p.token);
    expect(tokens.join('')).toBe(message);
  });

  it('opens a new session named after the first 50 characters of the message', async () => {
    const message =
      'Summarise the history of the Silk Road 丝绸之路🐫 and the goods that travelled along it';
    const res = await chat(user.token, { message });
    expect(res.status).toBe(200);
    const session = await t
      .http()
      .get(`/api/v1/sessions/${res.body.session_id}`)
      .set('Authorization', `Bearer ${user.token}`);
    expect(session.status).toBe(200);
    expect(session.body.id).toBe(res.body.session_id);
    expect(session.body.name).toBe(Array.from(message).slice(0, 50).join(''));
  });

  it('names a session after a short message in full', async () => {
    const res = await chat(user.token, { message: 'Hi there' });
    const session = await t
      .http()
      .get(`/api/v1/sessions/${res.body.session_id}`)
      .set('Authorization', `Bearer ${user.token}`);
    expect(session.body.name).toBe('Hi there');
  });

  it('continues a session given its id and stores each turn in order', async () => {
    const first = await chat(user.token, { message: 'first question' });
    expect(first.status).toBe(200);
    const sessionId = first.body.session_id;
    const before = await t
      .http()
      .get('/api/v1/sessions')
      .set('Authorization', `Bearer ${user.token}`);

    const second = await chat(user.token, { message: 'second question', session_id: sessionId });
    expect(second.status).toBe(200);
    expect(second.body.session_id).toBe(sessionId);
    expect(second.body.response).toBe('second question');
    const after = await t
      .http()
      .get('/api/v1/sessions')
      .set('Authorization', `Bearer ${user.token}`);
    expect(after.body.total).toBe(before.body.total);

    const list = await messages(user.token, sessionId);
    for (const m of list) {
      expect(Object.keys(m).sort()).toEqual(MESSAGE_FIELDS);
      expect(m.session_id).toBe(sessionId);
      expect(m.status).toBe('complete');
      expect(m.created_at).toMatch(ISO_UTC);
      expect(m.model).toBe('echo');
    }
    expect(list.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first question'],
      ['assistant', 'first question'],
      ['user', 'second question'],
      ['assistant', 'second question'],
    ]);
    expect(list[1].id).toBe(first.body.message_id);
    expect(list[3].id).toBe(second.body.message_id);
    const desc = await messages(user.token, sessionId, 'desc');
    expect(desc.map((m) => m.id)).toEqual(list.map((m) => m.id).reverse());
  });

  it('answers an unknown model with 404 MODEL_NOT_FOUND and stores nothing', async () => {
    const before = await stored();
    const res = await chat(user.token, { message: 'hello', model: 'no-such-model' });
    expectError(res, 404, 'MODEL_NOT_FOUND');
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['deepseek-chat', 'DEEPSEEK_API_KEY'],
    ['gpt-4o', 'OPENAI_API_KEY'],
  ])(
    'answers %s without its key with 404 MODEL_NOT_FOUND naming %s, storing nothing',
    async (model, key) => {
      const before = await stored();
      const res = await chat(user.token, { message: 'hello', model });
      expectError(res, 404, 'MODEL_NOT_FOUND');
      expect(res.body.error.message).toContain(key);
      expect(await stored()).toEqual(before);
    },
  );

  it('answers a model from an unusable session with 404 MODEL_NOT_FOUND', async () => {
    const create = await t
      .http()
      .post('/api/v1/sessions')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ model: 'deepseek-chat' });
    expectError(create, 404, 'MODEL_NOT_FOUND');
  });

  it.each([
    ['unknown', () => randomUUID()],
    ['malformed', () => 'abc123'],
    ['numeric', () => '123'],
    ['injected', () => "1' OR '1'='1"],
    ['uuid with trailing junk', () => `${randomUUID()}x`],
  ])('answers a session_id that is %s with 404 SESSION_NOT_FOUND', async (_kind, id) => {
    const before = await stored();
    const res = await chat(user.token, { message: 'hello', session_id: id() });
    expectError(res, 404, 'SESSION_NOT_FOUND');
    expect(await stored()).toEqual(before);
  });

  it("never lets a user chat in another user's session", async () => {
    const theirs = await chat(other.token, { message: 'my private chat' });
    expect(theirs.status).toBe(200);
    const before = await stored();

    const res = await chat(user.token, {
      message: 'let me in',
      session_id: theirs.body.session_id,
    });
    expectError(res, 404, 'SESSION_NOT_FOUND');
    expect(await stored()).toEqual(before);
    const get = await t
      .http()
      .get(`/api/v1/sessions/${theirs.body.session_id}`)
      .set('Authorization', `Bearer ${user.token}`);
    expectError(get, 404, 'SESSION_NOT_FOUND');
    expect((await messages(other.token, theirs.body.session_id)).map((m) => m.content)).toEqual([
      'my private chat',
      'my private chat',
    ]);
  });

  it("keeps the admin out of a user's session too", async () => {
    const theirs = await chat(user.token, { message: 'not for admins' });
    const res = await chat(t.adminToken, {
      message: 'peek',
      session_id: theirs.body.session_id,
    });
    expectError(res, 404, 'SESSION_NOT_FOUND');
  });

  it.each([
    ['a missing message', {}, 'message'],
    ['an empty message', { message: '' }, 'message'],
    ['a message that is not a string', { message: 42 }, 'message'],
    ['a null message', { message: null }, 'message'],
    ['temperature 3', { message: 'hi', temperature: 3 }, 'temperature'],
    ['temperature -1', { message: 'hi', temperature: -1 }, 'temperature'],
    ["temperature 'hot'", { message: 'hi', temperature: 'hot' }, 'temperature'],
    ["temperature '1' as a string", { message: 'hi', temperature: '1' }, 'temperature'],
    ['a null temperature', { message: 'hi', temperature: null }, 'temperature'],
    ['a session_id that is not a string', { message: 'hi', session_id: 5 }, 'session_id'],
    ['an empty model', { message: 'hi', model: '' }, 'model'],
    ['an unknown field', { message: 'hi', mood: 'cheerful' }, 'mood'],
  ])('answers %s with 400 VALIDATION_ERROR and stores nothing', async (_kind, body, field) => {
    const before = await stored();
    const res = await chat(user.token, body);
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details.fields).toEqual(
      expect.arrayContaining([{ field, message: expect.any(String) }]),
    );
    expect(await stored()).toEqual(before);
  });

  it('answers a call without credentials with 401 UNAUTHORIZED', async () => {
    const before = await stored();
    const res = await chat(undefined, { message: 'hello' });
    expectError(res, 401, 'UNAUTHORIZED');
    const bad = await chat(`oc_${'x'.repeat(40)}`, { message: 'hello' });
    expectError(bad, 401, 'INVALID_API_KEY');
    expect(await stored()).toEqual(before);
  });

  it('stores 20 concurrent turns in one session exactly once each, every reply after its prompt', async () => {
    const sessionId = await createSession(user.token);
    const prompts = Array.from({ length: 20 }, (_, i) => `concurrent turn ${i} ${randomUUID()}`);

    const replies = await Promise.all(
      prompts.map((message) => chat(user.token, { message, session_id: sessionId })),
    );
    expect(replies.map((r) => r.status)).toEqual(prompts.map(() => 200));
    replies.forEach((r, i) => {
      expect(r.body.session_id).toBe(sessionId);
      expect(r.body.response).toBe(prompts[i]);
    });

    const list = await messages(user.token, sessionId);
    expect(list).toHaveLength(40);
    const userContents = list.filter((m) => m.role === 'user').map((m) => m.content);
    expect([...userContents].sort()).toEqual([...prompts].sort());
    for (let i = 0; i < list.length; i += 2) {
      expect([list[i].role, list[i + 1].role]).toEqual(['user', 'assistant']);
      expect(list[i + 1].content).toBe(list[i].content);
      const reply = replies[prompts.indexOf(list[i].content)];
      expect(list[i + 1].id).toBe(reply.body.message_id);
    }
    expect(new Set(list.map((m) => m.id)).size).toBe(40);
  });
});

describe('POST /chat through an OpenAI-compatible provider (SPEC §5, §6)', () => {
  const KEY = `sk-test-${randomUUID()}`;
  const TIMEOUT_MS = 2000;
  let t: TestApp;
  let llm: FakeLlm;
  let user: TestUser;
  /** A host that accepts connections and hangs up at once: a connection error every time. */
  let dropper: NetServer;
  let dropped = 0;
  const { chat, messages, stored, createSession } = chatApi(() => t);

  const patchConfig = async (body: object) => {
    const res = await t
      .http()
      .patch('/api/v1/config')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send(body);
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    llm = await startFakeLlm();
    dropper = createServer((socket) => {
      dropped += 1;
      socket.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
    const { port } = dropper.address() as { port: number };
    const providersFile = join(mkdtempSync(join(tmpdir(), 'openclaw-providers-')), 'p.json');
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          { name: 'flaky', base_url: `http://127.0.0.1:${port}/v1`, models: ['flaky-model'] },
        ],
      }),
    );
    t = await startTestApp({
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: llm.baseURL,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      PROVIDERS_FILE: providersFile,
    });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
    await new Promise((r) => dropper.close(r));
  });
  beforeEach(async () => {
    llm.reset();
    dropped = 0;
    await patchConfig({ model: 'gpt-4o', temperature: 0.7, max_tokens: 4096, system_prompt: '' });
  });

  it('sends the key, the model, the system prompt, the history, the message and the settings', async () => {
    await patchConfig({
      system_prompt: 'You are a terse assistant.',
      temperature: 0.3,
      max_tokens: 321,
    });
    llm.behave({ reply: 'first answer' }, { reply: 'second answer' });

    const first = await chat(user.token, { message: 'first question' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      response: 'first answer',
      session_id: expect.stringMatching(UUID),
      message_id: expect.stringMatching(UUID),
      model: 'gpt-4o',
      tokens: { input: 11, output: 7 },
    });
    const second = await chat(user.token, {
      message: 'second question',
      session_id: first.body.session_id,
      temperature: 1.5,
    });
    expect(second.status).toBe(200);
    expect(second.body.response).toBe('second answer');

    expect(llm.requests).toHaveLength(2);
    const [a, b] = llm.requests;
    for (const r of [a, b]) {
      expect(r.path).toBe('/v1/chat/completions');
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(r.body.model).toBe('gpt-4o');
      expect(r.body.max_tokens).toBe(321);
      expect(r.body.stream).toBeFalsy();
    }
    expect(a.body.messages).toEqual([
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'first question' },
    ]);
    expect(a.body.temperature).toBe(0.3);
    expect(b.body.messages).toEqual([
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' },
    ]);
    expect(b.body.temperature).toBe(1.5);

    const list = await messages(user.token, first.body.session_id);
    expect(list.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'first question', 'complete'],
      ['assistant', 'first answer', 'complete'],
      ['user', 'second question', 'complete'],
      ['assistant', 'second answer', 'complete'],
    ]);
    expect(list[3].id).toBe(second.body.message_id);
    expect(list[3].model).toBe('gpt-4o');
  });

  it('sends no system message when the config has none', async () => {
    await chat(user.token, { message: 'just this' }).expect(200);
    expect(llm.requests[0].body.messages).toEqual([{ role: 'user', content: 'just this' }]);
  });

  it("lets a request's temperature of 0 win over the config's", async () => {
    await patchConfig({ temperature: 1.2 });
    await chat(user.token, { message: 'be exact', temperature: 0 }).expect(200);
    expect(llm.requests[0].body.temperature).toBe(0);
  });

  it("answers with the provider's token usage", async () => {
    llm.behave({ reply: 'counted', usage: { prompt_tokens: 42, completion_tokens: 17 } });
    const res = await chat(user.token, { message: 'count me' });
    expect(res.status).toBe(200);
    expect(res.body.tokens).toEqual({ input: 42, output: 17 });
  });

  it.each([
    ['strings', { prompt_tokens: '5', completion_tokens: 'x' }],
    ['a negative and an absurd count', { prompt_tokens: -5, completion_tokens: 1e20 }],
    ['fractions', { prompt_tokens: 1.5, completion_tokens: 2.5 }],
  ])('counts the tokens itself when the provider sends usage as %s', async (_kind, usage) => {
    const answer = (content: string) =>
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage,
      });
    llm.behave({ rawBody: answer('four words of reply') });
    const res = await chat(user.token, { message: 'count me' });
    expect(res.status).toBe(200);
    expect(res.body.tokens.output).toBe(4);
    expect(res.body.tokens.input).toBeGreaterThan(2);
    const [record] = await t.db.query(
      'SELECT input_tokens, output_tokens FROM usage_records ORDER BY created_at DESC LIMIT 1',
    );
    expect([Number(record.input_tokens), Number(record.output_tokens)]).toEqual([
      res.body.tokens.input,
      4,
    ]);
  });

  it('stores a reply holding a NUL or half a surrogate pair as the text it answers', async () => {
    const answer = (content: string) =>
      `{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":${content}},"finish_reason":"stop"}]}`;
    for (const [sent, shown] of [
      ['"a\\u0000b"', 'ab'],
      ['"half \\ud800 pair"', 'half \ufffd pair'],
    ]) {
      llm.behave({ rawBody: answer(sent) });
      const res = await chat(user.token, { message: 'odd reply' });
      expect(res.status).toBe(200);
      expect(res.body.response).toBe(shown);
      const stored = await messages(user.token, res.body.session_id);
      expect(stored.map((m) => m.content)).toEqual(['odd reply', shown]);
    }
  });

  it.each([
    ['a JSON array', '[1, 2]'],
    ['an object without choices', '{"id":"x","usage":{"prompt_tokens":1,"completion_tokens":1}}'],
    ['an error object with status 200', '{"error":{"message":"overloaded"}}'],
  ])('answers %s from the provider with 502 UPSTREAM_ERROR, storing nothing', async (_k, body) => {
    const before = await stored();
    llm.behave({ rawBody: body });
    const res = await chat(user.token, { message: 'no answer' });
    expectError(res, 502, 'UPSTREAM_ERROR');
    expect(await stored()).toEqual(before);
  });

  it("uses the request's model, else the session's, else the config's default", async () => {
    const pinned = await createSession(user.token, { model: 'gpt-4o-mini' });
    const unpinned = await createSession(user.token);

    const fromSession = await chat(user.token, { message: 'a', session_id: pinned });
    const fromRequest = await chat(user.token, {
      message: 'b',
      session_id: pinned,
      model: 'gpt-4.1',
    });
    const fromConfig = await chat(user.token, { message: 'c', session_id: unpinned });
    const fresh = await chat(user.token, { message: 'd' });
    await patchConfig({ model: 'gpt-4.1-mini' });
    const changedDefault = await chat(user.token, { message: 'e', session_id: unpinned });

    expect(
      [fromSession, fromRequest, fromConfig, fresh, changedDefault].map((r) => [
        r.status,
        r.body.model,
      ]),
    ).toEqual([
      [200, 'gpt-4o-mini'],
      [200, 'gpt-4.1'],
      [200, 'gpt-4o'],
      [200, 'gpt-4o'],
      [200, 'gpt-4.1-mini'],
    ]);
    expect(llm.requests.map((r) => r.body.model)).toEqual([
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4o',
      'gpt-4o',
      'gpt-4.1-mini',
    ]);

    const echoed = await chat(user.token, {
      message: 'offline',
      session_id: pinned,
      model: 'echo',
    });
    expect(echoed.status).toBe(200);
    expect(echoed.body).toMatchObject({ response: 'offline', model: 'echo' });
    expect(llm.requests).toHaveLength(5);
  });

  it.each([401, 403])(
    'answers a provider %i with 502 UPSTREAM_ERROR, without a retry, storing nothing',
    async (status) => {
      llm.behave({ status });
      const before = await stored();
      const res = await chat(user.token, { message: 'hello' });
      expectError(res, 502, 'UPSTREAM_ERROR');
      expect(res.text).not.toContain(KEY);
      expect(llm.requests).toHaveLength(1);
      expect(await stored()).toEqual(before);
    },
  );

  it.each([429, 500, 503])(
    'retries a provider %i twice, then answers 502 UPSTREAM_ERROR, storing nothing',
    async (status) => {
      llm.behave({ status, retryAfter: status === 429 ? '0' : undefined });
      const before = await stored();
      const res = await chat(user.token, { message: 'hello' });
      expectError(res, 502, 'UPSTREAM_ERROR');
      expect(res.headers['retry-after']).toBeUndefined();
      expect(llm.requests).toHaveLength(3);
      expect(await stored()).toEqual(before);
    },
  );

  it('answers 200 when a retry after a 500 succeeds', async () => {
    llm.behave({ status: 500 }, { reply: 'second time lucky' });
    const res = await chat(user.token, { message: 'hello' });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe('second time lucky');
    expect(llm.requests).toHaveLength(2);
    const list = await messages(user.token, res.body.session_id);
    expect(list.map((m) => m.content)).toEqual(['hello', 'second time lucky']);
  });

  it('answers 200 when a retry after a 429 with Retry-After succeeds', async () => {
    llm.behave({ status: 429, retryAfter: '0' }, { reply: 'after the wait' });
    const res = await chat(user.token, { message: 'hello' });
    expect(res.status).toBe(200);
    expect(res.body.response).toBe('after the wait');
    expect(llm.requests).toHaveLength(2);
  });

  it('retries connection errors twice, then answers 502 UPSTREAM_ERROR', async () => {
    const before = await stored();
    const res = await chat(user.token, { message: 'hello', model: 'flaky-model' });
    expectError(res, 502, 'UPSTREAM_ERROR');
    expect(dropped).toBe(3);
    expect(await stored()).toEqual(before);
  });

  it('answers a provider slower than UPSTREAM_TIMEOUT_MS with 504 UPSTREAM_TIMEOUT, without a retry', async () => {
    llm.behave({ delayMs: TIMEOUT_MS + 1500 });
    const before = await stored();
    const started = Date.now();
    const res = await chat(user.token, { message: 'hello' });
    const took = Date.now() - started;
    expectError(res, 504, 'UPSTREAM_TIMEOUT');
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 1000);
    expect(llm.requests).toHaveLength(1);
    const req = await eventually(
      () => llm.requests[0],
      (r) => r.aborted,
      1000,
    );
    expect(req.aborted).toBe(true);
    await sleep(200);
    expect(llm.requests).toHaveLength(1);
    expect(await stored()).toEqual(before);
  });

  it('answers SESSION_NOT_FOUND for a session deleted while its reply was written', async () => {
    const sessionId = await createSession(user.token);
    let release!: () => void;
    llm.behave({ reply: 'too late', holdLast: new Promise<void>((r) => (release = r)) });
    const before = await stored();
    const [records] = await t.db.query('SELECT COUNT(*) AS n FROM usage_records');
    const turn = chat(user.token, { message: 'still there?', session_id: sessionId }).then(
      (res) => res,
    );
    await eventually(
      () => llm.requests.length,
      (n) => n === 1,
      2000,
    );
    const deleted = await t
      .http()
      .delete(`/api/v1/sessions/${sessionId}`)
      .set('Authorization', `Bearer ${user.token}`);
    expect(deleted.status).toBe(204);
    release();
    const res = await turn;
    expectError(res, 404, 'SESSION_NOT_FOUND');
    expect(await stored()).toEqual({ sessions: before.sessions - 1, messages: before.messages });
    const [after] = await t.db.query('SELECT COUNT(*) AS n FROM usage_records');
    // The provider answered: the call is billed all the same (SPEC §13).
    expect(Number(after.n)).toBe(Number(records.n) + 1);
  });

  it('aborts the upstream request when the client goes away, storing nothing', async () => {
    llm.behave({ delayMs: 1500 });
    const before = await stored();
    const live = startPost(
      `${serverUrl(t.app.getHttpServer())}${CHAT}`,
      { message: 'never mind' },
      { Authorization: `Bearer ${user.token}` },
    );
    await eventually(
      () => llm.requests.length,
      (n) => n === 1,
      2000,
    );
    expect(llm.requests).toHaveLength(1);
    await sleep(100);

    const goneAt = Date.now();
    live.destroy();
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
  it('stops retrying once the client has gone', async () => {
    llm.behave({ status: 500 });
    const before = await stored();
    const live = startPost(
      `${serverUrl(t.app.getHttpServer())}${CHAT}`,
      { message: 'retry me' },
      { Authorization: `Bearer ${user.token}` },
    );
    await eventually(
      () => llm.requests.length,
      (n) => n === 1,
      2000,
    );
    live.destroy();
    await sleep(1500);
    expect(llm.requests).toHaveLength(1);
    expect(await stored()).toEqual(before);
  });
});
