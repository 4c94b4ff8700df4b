import { randomUUID } from 'node:crypto';

import { AppException } from '../../src/core/errors/app.exception';
import { ErrorCode } from '../../src/core/errors/error-code';
import { ShutdownService } from '../../src/core/shutdown/shutdown.service';
import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { GateEntry, RecordingGate, startAppWithGate } from '../support/recording-gate';
import { openPost, parseSse, serverUrl, textChunks } from '../support/sse';
import type { TestApp } from '../support/test-app';
import { testEnv } from '../support/test-env';
import { until } from '../support/wait';

const CHAT = '/api/v1/chat';
const STREAM = '/api/v1/chat/stream';
const V1 = '/v1/chat/completions';

/**
 * Every provider call passes the completion gate: admitted before the provider is reached, settled
 * exactly once when it ended. The gate here is provided by a global module beside the app's own,
 * as a usage module would provide it.
 */
describe('Completion gate: admit and settle around every provider call (SPEC §13)', () => {
  const gate = new RecordingGate();
  let t: TestApp;
  let llm: FakeLlm;
  let user: TestUser;
  let key: string;
  let base: string;

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await startAppWithGate(
      testEnv({
        OPENAI_API_KEY: `sk-test-${randomUUID()}`,
        OPENAI_BASE_URL: llm.baseURL,
        UPSTREAM_MAX_RETRIES: '0',
      }),
      gate,
    );
    base = serverUrl(t.app.getHttpServer());
    user = await createUser(t);
    key = await createApiKey(t, user.token);
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });
  beforeEach(() => {
    llm.reset();
    gate.reset();
  });

  const jwt = () => ({ Authorization: `Bearer ${user.token}` });
  const apiKey = () => ({ Authorization: `Bearer ${key}` });

  /** The call as the gate must see it, for this test's user. */
  const call = (endpoint: string, via: 'jwt' | 'api_key') => ({
    principal: expect.objectContaining({
      userId: user.id,
      via,
      ...(via === 'api_key' ? { apiKeyId: expect.any(String) } : {}),
    }),
    endpoint,
    model: 'gpt-4o',
    provider: 'openai',
  });

  const settled = (
    endpoint: string,
    via: 'jwt' | 'api_key',
    status: string,
    tokens: { input: unknown; output: unknown },
    recorded: boolean,
  ): GateEntry[] =>
    [
      { kind: 'admit', call: call(endpoint, via) },
      {
        kind: 'settle',
        call: call(endpoint, via),
        outcome: {
          status,
          inputTokens: tokens.input,
          outputTokens: tokens.output,
          latencyMs: expect.any(Number),
        },
        recorded,
      },
    ] as GateEntry[];

  /** The statuses of a session's messages, oldest first; none while it does not exist. */
  const statuses = async (sessionId: string): Promise<string[]> => {
    const res = await t.http().get(`/api/v1/sessions/${sessionId}/messages?order=asc`).set(jwt());
    return res.status === 200 ? res.body.data.map((m: { status: string }) => m.status) : [];
  };

  const sessionCount = async (): Promise<number> =>
    (await t.http().get('/api/v1/sessions').set(jwt()).expect(200)).body.total;

  const settles = () => gate.entries.filter((e) => e.kind === 'settle');

  /** Reads a whole SSE (or JSON error) answer. */
  const stream = async (path: string, body: object, headers: Record<string, string>) => {
    const res = await openPost(`${base}${path}`, body, headers);
    const text = await res.ended;
    return { res, text, frames: res.parsed().frames };
  };

  it('settles a plain /api/v1/chat turn as complete, recorded with the turn, before answering', async () => {
    llm.behave({ reply: 'Hi there', usage: { prompt_tokens: 11, completion_tokens: 7 } });
    const res = await t.http().post(CHAT).set(jwt()).send({ message: 'hello', model: 'gpt-4o' });
    expect(res.status).toBe(200);
    expect(res.body.tokens).toEqual({ input: 11, output: 7 });
    expect(gate.entries).toEqual(settled(CHAT, 'jwt', 'complete', { input: 11, output: 7 }, true));
    expect(await statuses(res.body.session_id)).toEqual(['complete', 'complete']);
  });

  it('settles a /api/v1/chat/stream turn as complete, recorded with the turn', async () => {
    llm.behave({ chunks: ['a ', 'b ', 'c'], usage: { prompt_tokens: 13, completion_tokens: 3 } });
    const { res, frames } = await stream(STREAM, { message: 'hi', model: 'gpt-4o' }, jwt());
    expect(res.status).toBe(200);
    expect(textChunks(frames)).toEqual(['a ', 'b ', 'c']);
    expect(frames.map((f) => f.event)).toContain('usage');
    expect(gate.entries).toEqual(
      settled(STREAM, 'jwt', 'complete', { input: 13, output: 3 }, true),
    );
  });

  it('settles a plain /v1/chat/completions call as complete, not recorded (nothing is stored)', async () => {
    llm.behave({ reply: 'Paris.', usage: { prompt_tokens: 21, completion_tokens: 2 } });
    const res = await t
      .http()
      .post(V1)
      .set(apiKey())
      .send({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Capital of France?' }] });
    expect(res.status).toBe(200);
    expect(res.body.usage).toEqual({ prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 });
    expect(gate.entries).toEqual(
      settled(V1, 'api_key', 'complete', { input: 21, output: 2 }, false),
    );
  });

  it('settles a streamed /v1/chat/completions call as complete, not recorded', async () => {
    llm.behave({ chunks: ['x ', 'y'], usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const { res, text } = await stream(
      V1,
      { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'go' }] },
      apiKey(),
    );
    expect(res.status).toBe(200);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(gate.entries).toEqual(
      settled(V1, 'api_key', 'complete', { input: 5, output: 2 }, false),
    );
  });

  it('settles a chat stream the client left as incomplete, with the tokens counted for what was streamed', async () => {
    llm.behave({ chunks: ['one ', 'two ', 'three ', 'four'], chunkDelayMs: 300, usage: null });
    const live = await openPost(`${base}${STREAM}`, { message: 'count', model: 'gpt-4o' }, jwt());
    expect(live.status).toBe(200);
    await live.waitFor((frames) => textChunks(frames).length >= 1);
    live.destroy();

    await until('the aborted stream to be settled', async () => settles().length > 0);
    expect(gate.entries).toEqual(
      settled(
        STREAM,
        'jwt',
        'incomplete',
        { input: expect.any(Number), output: expect.any(Number) },
        true,
      ),
    );
    const [, settle] = gate.entries as Extract<GateEntry, { kind: 'settle' }>[];
    expect(settle.outcome.inputTokens).toBeGreaterThan(0);
    expect(settle.outcome.outputTokens).toBeGreaterThan(0);
    await until('the upstream request to be aborted', async () => llm.requests[0].aborted);
    const sessionId = live.headers['x-session-id'] as string;
    await until(
      'the partial turn to be stored',
      async () => (await statuses(sessionId)).length > 0,
    );
    expect(await statuses(sessionId)).toEqual(['complete', 'incomplete']);
    expect(settles()).toHaveLength(1);
  });

  it('settles a /v1 stream the client left as incomplete, not recorded', async () => {
    llm.behave({ chunks: ['one ', 'two ', 'three'], chunkDelayMs: 300, usage: null });
    const live = await openPost(
      `${base}${V1}`,
      { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'count' }] },
      apiKey(),
    );
    expect(live.status).toBe(200);
    await live.waitFor((frames) => frames.some((f) => f.data.includes('"one "')));
    live.destroy();

    await until('the aborted stream to be settled', async () => settles().length > 0);
    expect(gate.entries).toEqual(
      settled(
        V1,
        'api_key',
        'incomplete',
        { input: expect.any(Number), output: expect.any(Number) },
        false,
      ),
    );
    expect(settles()).toHaveLength(1);
  });

  it('settles /v1 tool calls, plain and streamed, with the provider’s usage (SPEC §10, §13)', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];
    const body = { model: 'gpt-4o', tools, messages: [{ role: 'user', content: 'find it' }] };
    llm.behave({
      toolCalls: [{ name: 'lookup', arguments: '{"q":"it"}' }],
      usage: { prompt_tokens: 40, completion_tokens: 9 },
    });
    const plain = await t.http().post(V1).set(apiKey()).send(body);
    expect(plain.status).toBe(200);
    expect(plain.body.choices[0].message.tool_calls[0].function.name).toBe('lookup');
    expect(gate.entries).toEqual(
      settled(V1, 'api_key', 'complete', { input: 40, output: 9 }, false),
    );

    gate.reset();
    const streamed = await stream(V1, { ...body, stream: true }, apiKey());
    expect(streamed.res.status).toBe(200);
    expect(streamed.text).toContain('"tool_calls"');
    // The usage chunk the server asked for is not relayed to a client that did not ask.
    expect(streamed.text).not.toContain('"usage"');
    expect(gate.entries).toEqual(
      settled(V1, 'api_key', 'complete', { input: 40, output: 9 }, false),
    );
  });

  it('settles a provider error as failed, with no tokens, and stores nothing', async () => {
    llm.behave({ status: 400 });
    const sessionsBefore = await sessionCount();
    const res = await t.http().post(CHAT).set(jwt()).send({ message: 'fail', model: 'gpt-4o' });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('UPSTREAM_ERROR');
    expect(gate.entries).toEqual(settled(CHAT, 'jwt', 'failed', { input: 0, output: 0 }, false));
    expect(await sessionCount()).toBe(sessionsBefore);

    gate.reset();
    const v1 = await stream(
      V1,
      { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'fail' }] },
      apiKey(),
    );
    // On /v1 the provider's 400 is its own answer, passed on (SPEC §10); the call still failed.
    expect(v1.res.status).toBe(400);
    expect(gate.entries).toEqual(settled(V1, 'api_key', 'failed', { input: 0, output: 0 }, false));
  });

  it('settles a stream the provider broke off as failed, its partial turn recorded', async () => {
    llm.behave({ chunks: ['one ', 'two ', 'three'], dropAfterChunks: 2, usage: null });
    const { res, frames } = await stream(STREAM, { message: 'break', model: 'gpt-4o' }, jwt());
    expect(res.status).toBe(200);
    expect(frames.map((f) => f.event)).toContain('error');
    expect(gate.entries).toEqual(
      settled(
        STREAM,
        'jwt',
        'failed',
        { input: expect.any(Number), output: expect.any(Number) },
        true,
      ),
    );
  });

  it('refuses every kind of call the gate does not admit, before the provider is reached', async () => {
    gate.refuse = new AppException(ErrorCode.FORBIDDEN, 'Refused by the gate');

    const chat = await t.http().post(CHAT).set(jwt()).send({ message: 'no', model: 'gpt-4o' });
    expect(chat.status).toBe(403);
    expect(chat.body.error).toMatchObject({ code: 'FORBIDDEN', message: 'Refused by the gate' });

    const streamed = await stream(STREAM, { message: 'no', model: 'gpt-4o' }, jwt());
    expect(streamed.res.status).toBe(403);
    expect(streamed.res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(streamed.text).error.code).toBe('FORBIDDEN');

    const messages = [{ role: 'user', content: 'no' }];
    const v1 = await t.http().post(V1).set(apiKey()).send({ model: 'gpt-4o', messages });
    expect(v1.status).toBe(403);
    expect(v1.body.error).toMatchObject({ message: 'Refused by the gate' });

    const v1Stream = await stream(V1, { model: 'gpt-4o', stream: true, messages }, apiKey());
    expect(v1Stream.res.status).toBe(403);
    expect(JSON.parse(v1Stream.text).error).toMatchObject({ message: 'Refused by the gate' });

    expect(llm.requests).toHaveLength(0);
    expect(gate.entries.map((e) => [e.kind, e.call.endpoint])).toEqual([
      ['admit', CHAT],
      ['admit', STREAM],
      ['admit', V1],
      ['admit', V1],
    ]);
  });

  // Last: the server stops taking requests from here on.
  it('settles a stream cut at the shutdown deadline as incomplete, its partial turn recorded', async () => {
    llm.behave({ chunks: ['one ', 'two ', 'three ', 'four'], chunkDelayMs: 400, usage: null });
    const live = await openPost(`${base}${STREAM}`, { message: 'slow', model: 'gpt-4o' }, jwt());
    expect(live.status).toBe(200);
    await live.waitFor((frames) => textChunks(frames).length >= 1);

    await t.app.get(ShutdownService).drain(t.app.getHttpServer(), 100);
    const frames = parseSse(await live.ended).frames;
    const error = frames.find((f) => f.event === 'error');
    expect(JSON.parse(error!.data).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(gate.entries).toEqual(
      settled(
        STREAM,
        'jwt',
        'incomplete',
        { input: expect.any(Number), output: expect.any(Number) },
        true,
      ),
    );
  });
});
