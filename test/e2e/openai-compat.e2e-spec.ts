import OpenAI, { APIError, AuthenticationError, NotFoundError } from 'openai';

import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { serverUrl } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';

const UPSTREAM_KEY = 'sk-upstream-compat';

/** What this test reads of a JSON answer: a completion or OpenAI's error envelope. */
interface Answer {
  error: { message: string; type: string; code: string | null; param: string | null };
  choices: { message: { content: string } }[];
}
const json = async (res: Response) => (await res.json()) as Answer;

/** The official `openai` package, unchanged, pointed at this server's /v1 (SPEC §10). */
describe('OpenAI-compatible endpoint (SPEC §10)', () => {
  let t: TestApp;
  let llm: FakeLlm;
  let user: TestUser;
  let key: string;
  let client: OpenAI;
  let base: string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startTestApp({ OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: llm.baseURL });
    base = serverUrl(t.app.getHttpServer());
    user = await createUser(t);
    key = await createApiKey(t, user.token);
    client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });
  beforeEach(() => llm.reset());

  const raw = (path: string, body: unknown, token = key) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers a plain completion in OpenAI’s shape, with usage, passing sampling fields on', async () => {
    llm.behave({ reply: 'Paris.', usage: { prompt_tokens: 21, completion_tokens: 2 } });
    const res = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Capital of ' },
            { type: 'text', text: 'France?' },
          ],
        },
        { role: 'assistant', content: 'Which country?' },
        { role: 'user', content: 'France.' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      n: 1,
      user: 'end-user-7',
      stop: ['\n\n'],
      max_tokens: 50,
    });
    expect(res).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Paris.' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 },
    });
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(Math.abs(res.created - Date.now() / 1000)).toBeLessThan(60);

    const sent = llm.requests[0];
    expect(sent.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(sent.body).toMatchObject({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        // Content parts go to the provider as sent (SPEC §10).
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Capital of ' },
            { type: 'text', text: 'France?' },
          ],
        },
        { role: 'assistant', content: 'Which country?' },
        { role: 'user', content: 'France.' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      user: 'end-user-7',
      stop: ['\n\n'],
      max_tokens: 50,
    });
  });

  it('streams chat.completion.chunk objects the client assembles, with usage when asked', async () => {
    llm.behave({
      chunks: ['Hel', 'lo', ' there'],
      usage: { prompt_tokens: 5, completion_tokens: 3 },
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    const ids = new Set<string>();
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      ids.add(chunk.id);
      const choice = chunk.choices[0];
      if (choice?.delta?.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toEqual(['Hel', 'lo', ' there']);
    expect(finish).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect(ids.size).toBe(1);

    // The helper of the openai package that rebuilds the whole message from the chunks.
    llm.behave({ chunks: ['a', 'b', 'c'] });
    const runner = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'abc' }],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].message.content).toBe('abc');
  });

  it('answers a plain completion as JSON with its charset and byte length', async () => {
    const res = await raw('/v1/chat/completions', {
      model: 'echo',
      messages: [{ role: 'user', content: '你好 world ✓' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect((JSON.parse(text) as Answer).choices[0].message.content).toBe('你好 world ✓');
  });

  it('streams the echo model and ends the raw stream with [DONE]', async () => {
    const res = await raw('/v1/chat/completions', {
      model: 'echo',
      messages: [{ role: 'user', content: '你好 world' }],
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = text
      .split('\n\n')
      .filter((block) => block.startsWith('data: {'))
      .map((block) => JSON.parse(block.slice(6)));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('你好 world');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  it('stops the echo model at max_tokens with finish_reason length, plain and streamed', async () => {
    const messages = [{ role: 'user' as const, content: 'one two three four five six seven' }];
    const plain = await client.chat.completions.create({ model: 'echo', messages, max_tokens: 3 });
    expect(plain.choices[0].message.content).toBe('one two three');
    expect(plain.choices[0].finish_reason).toBe('length');
    expect(plain.usage?.completion_tokens).toBe(3);

    const stream = await client.chat.completions.create({
      model: 'echo',
      messages,
      max_completion_tokens: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: (string | null)[] = [];
    let completion: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.choices[0]) finishes.push(chunk.choices[0].finish_reason);
      completion ??= chunk.usage?.completion_tokens;
    }
    expect(text).toBe('one two');
    expect(finishes.at(-1)).toBe('length');
    expect(completion).toBe(2);

    // A cut ends on a whole character, never inside one.
    const cjk = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: '龘𝕏𝕐ꙮ' }],
      max_tokens: 4,
    });
    expect(cjk.choices[0].message.content).toBe('龘');
    expect(cjk.choices[0].finish_reason).toBe('length');

    const whole = await client.chat.completions.create({ model: 'echo', messages, max_tokens: 7 });
    expect(whole.choices[0].message.content).toBe(messages[0].content);
    expect(whole.choices[0].finish_reason).toBe('stop');
  });

  it('a provider failing mid-stream surfaces as an error the openai client raises', async () => {
    llm.behave({ chunks: ['one ', 'two ', 'three'], dropAfterChunks: 2 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    const pieces: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta?.content ?? '');
      })(),
    ).rejects.toThrow(APIError);
    expect(pieces.join('')).toBe('one two ');
  });

  it("lowers max_tokens and max_completion_tokens to the config's max_tokens, never raises them", async () => {
    const admin = { Authorization: `Bearer ${t.adminToken}` };
    const before = (await t.http().get('/api/v1/config').set(admin).expect(200)).body.max_tokens;
    await t.http().patch('/api/v1/config').set(admin).send({ max_tokens: 100 }).expect(200);
    try {
      const messages = [{ role: 'user' as const, content: 'hi' }];
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 5000 });
      await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        max_completion_tokens: 4096,
      });
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 30 });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        max_tokens: 100000,
        stream: true,
      });
      for await (const chunk of stream) void chunk;
      // Each under the name the caller used: reasoning models take only max_completion_tokens.
      expect(llm.requests.map((r) => [r.body.max_tokens, r.body.max_completion_tokens])).toEqual([
        [100, undefined],
        [undefined, 100],
        [30, undefined],
        [100, undefined],
      ]);
    } finally {
      await t.http().patch('/api/v1/config').set(admin).send({ max_tokens: before }).expect(200);
    }
  });

  it('lists the usable models in OpenAI’s shape', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    const ids = models.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['echo', 'gpt-4o']));
    expect(ids).not.toContain('deepseek-chat');
    expect(models.find((m) => m.id === 'gpt-4o')).toMatchObject({
      object: 'model',
      owned_by: 'openai',
      created: expect.any(Number),
    });
    expect(await client.models.retrieve('echo')).toMatchObject({ id: 'echo', object: 'model' });
    await expect(client.models.retrieve('deepseek-chat')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a bad key with 401 in OpenAI’s error shape', async () => {
    const bad = new OpenAI({ apiKey: 'oc_not-a-real-key', baseURL: `${base}/v1`, maxRetries: 0 });
    const err = await bad.chat.completions
      .create({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(401);
    expect((err as AuthenticationError).code).toBe('invalid_api_key');
    const res = await raw('/v1/chat/completions', { model: 'echo', messages: [] }, 'nope');
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.type).toBe('authentication_error');
    await expect(bad.models.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('takes the JWT of a login as well as an API key', async () => {
    const jwtClient = new OpenAI({ apiKey: user.token, baseURL: `${base}/v1`, maxRetries: 0 });
    const res = await jwtClient.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'via jwt' }],
    });
    expect(res.choices[0].message.content).toBe('via jwt');
  });

  it.each([
    ['no messages', { model: 'echo', messages: [] }, 'messages'],
    ['no model', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
    [
      'a bad role',
      { model: 'echo', messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
    ],
    [
      'a content part without a type',
      { model: 'echo', messages: [{ role: 'user', content: [{ text: 'x' }] }] },
      'messages[0].content[0]',
    ],
    [
      'temperature 3',
      { model: 'echo', temperature: 3, messages: [{ role: 'user', content: 'x' }] },
      'temperature',
    ],
    [
      'stop of 5 strings',
      {
        model: 'echo',
        stop: ['a', 'b', 'c', 'd', 'e'],
        messages: [{ role: 'user', content: 'x' }],
      },
      'stop',
    ],
  ])('refuses %s with 400 invalid_request_error naming the param', async (_name, body, param) => {
    llm.reset();
    const res = await raw('/v1/chat/completions', body);
    expect(res.status).toBe(400);
    const answer = await json(res);
    expect(answer.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'validation_error',
      param,
    });
    expect(answer.error.message).toEqual(expect.any(String));
    expect(llm.requests).toHaveLength(0);
  });

  it('ignores fields it does not know and takes null for absent, as OpenAI does', async () => {
    const res = await raw('/v1/chat/completions', {
      model: 'echo',
      messages: [
        { role: 'developer', content: 'rules' },
        { role: 'user', content: 'still works' },
      ],
      stop: null,
      temperature: null,
      parallel_tool_calls: false,
      store: false,
      metadata: { app: 'x' },
      reasoning_effort: 'low',
    });
    const body = await json(res);
    expect(body).toMatchObject({ choices: [{ message: { content: 'still works' } }] });
    expect(res.status).toBe(200);
  });

  it('answers an unknown model with 404 model_not_found, and unknown /v1 routes in OpenAI’s shape', async () => {
    const err = await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe('model_not_found');
    expect((err as NotFoundError).param).toBe('model');

    const res = await fetch(`${base}/v1/embeddings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatchObject({ type: 'invalid_request_error' });
    const broken = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: '{"model": ',
    });
    expect(broken.status).toBe(400);
    expect((await json(broken)).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
  });

  it('an upstream failure is a 502 api_error, never the provider’s own status', async () => {
    llm.behave({ status: 401 });
    const err = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(502);
    expect((err as APIError).type).toBe('api_error');
  });

  it('stores nothing: the endpoint is stateless, as OpenAI’s is', async () => {
    const before = await t.http().get('/api/v1/sessions').set('Authorization', `Bearer ${key}`);
    await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'not kept' }],
    });
    const after = await t.http().get('/api/v1/sessions').set('Authorization', `Bearer ${key}`);
    expect(after.body.total).toBe(before.body.total);
  });
});

describe('OpenAI-compatible endpoint rate limits (SPEC §10, §11)', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('shares the chat limit and answers 429 rate_limit_exceeded with Retry-After', async () => {
    t = await startTestApp({ RATE_LIMIT_CHAT_PER_MINUTE: '2' });
    const user = await createUser(t);
    const key = await createApiKey(t, user.token);
    const client = new OpenAI({
      apiKey: key,
      baseURL: `${serverUrl(t.app.getHttpServer())}/v1`,
      maxRetries: 0,
    });
    const ask = () =>
      client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'x' }] });
    await ask();
    await t
      .http()
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${key}`)
      .send({ message: 'x', model: 'echo' })
      .expect(200);
    const err = (await ask().catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.type).toBe('rate_limit_error');
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(err.headers?.get('x-ratelimit-limit')).toBe('2');
  });
});
