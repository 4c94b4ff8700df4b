import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { UsageRecordsRepository } from '../../src/usage/usage-records.repository';
import { createUser, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { serverUrl, startPost } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The fake provider's usage figures for every reply, and gpt-4o's price (USD per million tokens).
const FAKE_USAGE = { input: 11, output: 7 };
const PRICE = { input_price: 2.5, output_price: 10 };
const FAKE_COST = (11 * 2.5 + 7 * 10) / 1e6;

interface UsageRow {
  id: string;
  user_id: string;
  api_key_id: string | null;
  model: string;
  provider: string;
  endpoint: string;
  status: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  created_at: string | Date;
}

/** Every column of the record, nothing more: no prompt, reply or other content. */
const COLUMNS = [
  'api_key_id',
  'cost_usd',
  'created_at',
  'endpoint',
  'id',
  'input_tokens',
  'latency_ms',
  'model',
  'output_tokens',
  'provider',
  'status',
  'user_id',
];

describe('usage records: one per provider call (SPEC §13)', () => {
  let llm: FakeLlm;
  let t: TestApp;

  const rows = async (userId: string): Promise<UsageRow[]> => {
    const found = (await t.db.query(
      `SELECT * FROM usage_records WHERE user_id = ${t.env.database.type === 'postgres' ? '$1' : '?'}`,
      [userId],
    )) as UsageRow[];
    return found
      .map((r) => ({ ...r, cost_usd: r.cost_usd === null ? null : Number(r.cost_usd) }))
      .sort((a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime());
  };

  /** A fresh user with an API key, so each test reads only its own records. */
  async function caller(): Promise<TestUser & { key: string; keyId: string }> {
    const user = await createUser(t);
    const res = await t
      .http()
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ name: 'usage' });
    expect(res.status).toBe(201);
    return { ...user, key: res.body.key, keyId: res.body.id };
  }

  const post = (path: string, token: string, body: object) =>
    t.http().post(path).set('Authorization', `Bearer ${token}`).send(body);

  beforeAll(async () => {
    llm = await startFakeLlm();
    const prices = join(mkdtempSync(join(tmpdir(), 'openclaw-prices-')), 'prices.json');
    writeFileSync(prices, JSON.stringify({ 'gpt-4o': PRICE }));
    t = await startTestApp({
      OPENAI_API_KEY: 'sk-usage-test',
      OPENAI_BASE_URL: llm.baseURL,
      UPSTREAM_TIMEOUT_MS: '3000',
      PRICES_FILE: prices,
    });
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });
  beforeEach(() => llm.reset());

  it('records every route, plain and streamed, with its fields and no content', async () => {
    const u = await caller();
    const prompt = 'a secret prompt that must not reach usage';
    llm.behave({ reply: 'a secret reply that must not reach usage' });

    const chat = await post('/api/v1/chat', u.token, { message: prompt, model: 'gpt-4o' });
    expect(chat.status).toBe(200);
    const chatStream = await post('/api/v1/chat/stream', u.token, {
      message: prompt,
      model: 'gpt-4o',
    });
    expect(chatStream.status).toBe(200);
    expect(chatStream.text).toContain('event: usage');
    const plain = await post('/v1/chat/completions', u.key, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: prompt }],
    });
    expect(plain.status).toBe(200);
    const streamed = await post('/v1/chat/completions', u.key, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: prompt }],
      stream: true,
    });
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain('[DONE]');
    expect(llm.requests).toHaveLength(4);

    const found = await rows(u.id);
    expect(found).toHaveLength(4);
    const expected = (endpoint: string, apiKeyId: string | null) => ({
      id: expect.stringMatching(UUID),
      user_id: u.id,
      api_key_id: apiKeyId,
      model: 'gpt-4o',
      provider: 'openai',
      endpoint,
      status: 'complete',
      input_tokens: FAKE_USAGE.input,
      output_tokens: FAKE_USAGE.output,
      cost_usd: expect.closeTo(FAKE_COST, 12),
      latency_ms: expect.any(Number),
      created_at: expect.anything(),
    });
    expect(found).toEqual([
      expected('/api/v1/chat', null),
      expected('/api/v1/chat/stream', null),
      expected('/v1/chat/completions', u.keyId),
      expected('/v1/chat/completions', u.keyId),
    ]);
    for (const row of found) {
      expect(Object.keys(row).sort()).toEqual(COLUMNS);
      expect(row.latency_ms).toBeGreaterThanOrEqual(0);
      expect(JSON.stringify(row)).not.toMatch(/secret/);
    }
  });

  it('exports tokens and cost by model and provider, with no per-user label', async () => {
    const metric = async (line: RegExp): Promise<number> => {
      const res = await t.http().get('/metrics');
      expect(res.status).toBe(200);
      expect(res.text).not.toMatch(/^openclaw_usage_\w+\{[^}]*user/m);
      const found = res.text.split('\n').find((l) => line.test(l));
      return found ? Number(found.split(' ').pop()) : 0;
    };
    const input =
      /^openclaw_usage_tokens_total\{model="gpt-4o",provider="openai",direction="input"\}/;
    const output =
      /^openclaw_usage_tokens_total\{model="gpt-4o",provider="openai",direction="output"\}/;
    const cost = /^openclaw_usage_cost_usd_total\{model="gpt-4o",provider="openai"\}/;
    const calls =
      /^openclaw_usage_calls_total\{model="gpt-4o",provider="openai",status="complete"\}/;
    const before = [
      await metric(input),
      await metric(output),
      await metric(cost),
      await metric(calls),
    ];
    const u = await caller();
    expect((await post('/api/v1/chat', u.key, { message: 'm', model: 'gpt-4o' })).status).toBe(200);
    expect(
      (
        await post('/v1/chat/completions', u.key, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'm' }],
        })
      ).status,
    ).toBe(200);
    expect((await metric(input)) - before[0]).toBe(2 * FAKE_USAGE.input);
    expect((await metric(output)) - before[1]).toBe(2 * FAKE_USAGE.output);
    expect((await metric(cost)) - before[2]).toBeCloseTo(2 * FAKE_COST, 12);
    expect((await metric(calls)) - before[3]).toBe(2);
  });

  it('records the echo model too, unpriced (null, never a guessed 0), on every route', async () => {
    const u = await caller();
    expect((await post('/api/v1/chat', u.key, { message: 'hi echo', model: 'echo' })).status).toBe(
      200,
    );
    const echoed = await post('/v1/chat/completions', u.key, {
      model: 'echo',
      messages: [{ role: 'user', content: 'hi echo' }],
      stream: true,
    });
    expect(echoed.status).toBe(200);
    const found = await rows(u.id);
    expect(found).toHaveLength(2);
    for (const row of found) {
      expect(row).toMatchObject({
        api_key_id: u.keyId,
        model: 'echo',
        provider: 'echo',
        status: 'complete',
        cost_usd: null,
      });
      expect(row.input_tokens).toBeGreaterThan(0);
      expect(row.output_tokens).toBeGreaterThan(0);
    }
    expect(found.map((r) => r.endpoint)).toEqual(['/api/v1/chat', '/v1/chat/completions']);
    expect(llm.requests).toHaveLength(0);
  });

  it('60 /v1 calls at once, plain and streamed, each leave exactly one record before they are answered', async () => {
    const u = await caller();
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post('/v1/chat/completions', u.key, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: `call ${i}` }],
          stream: i % 3 === 0,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // Read at once: each answer waited for its own record's commit.
    const found = await rows(u.id);
    expect(found).toHaveLength(60);
    expect(new Set(found.map((r) => r.id)).size).toBe(60);
    expect(found.every((r) => r.api_key_id === u.keyId && r.status === 'complete')).toBe(true);
  });

  it('records written together: one that cannot be stored fails alone, the others are stored', async () => {
    const repo = t.app.get(UsageRecordsRepository);
    const u = await caller();
    const record = (userId: string | null) =>
      repo.insert({
        userId: userId as string,
        apiKeyId: null,
        model: 'gpt-4o',
        provider: 'openai',
        endpoint: '/v1/chat/completions',
        status: 'complete',
        inputTokens: 1,
        outputTokens: 2,
        costUsd: null,
        latencyMs: 3,
      });
    const results = await Promise.allSettled([
      record(u.id),
      record(u.id),
      record(null),
      record(u.id),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(await rows(u.id)).toHaveLength(3);
  });

  it('writes a chat turn and its record together: one record per stored turn', async () => {
    const u = await caller();
    for (let i = 0; i < 3; i++)
      expect((await post('/api/v1/chat', u.token, { message: `turn ${i}` })).status).toBe(200);
    const [{ n }] = (await t.db.query(
      `SELECT COUNT(*) AS n FROM messages m JOIN sessions s ON s.id = m.session_id
        WHERE s.user_id = ${t.env.database.type === 'postgres' ? '$1' : '?'}`,
      [u.id],
    )) as { n: string | number }[];
    expect(Number(n)).toBe(6);
    expect(await rows(u.id)).toHaveLength(3);
  });

  it('a turn that cannot be stored still leaves its one record (the turn and its record are one write)', async () => {
    const u = await caller();
    const first = await post('/api/v1/chat', u.token, { message: 'first', model: 'gpt-4o' });
    expect(first.status).toBe(200);
    let release!: () => void;
    llm.behave({ holdLast: new Promise<void>((r) => (release = r)) });
    const pending = post('/api/v1/chat', u.token, {
      message: 'second',
      model: 'gpt-4o',
      session_id: first.body.session_id,
    }).then((res) => res);
    await until('the provider to be asked', async () => llm.requests.length === 2);
    const deleted = await t
      .http()
      .delete(`/api/v1/sessions/${first.body.session_id}`)
      .set('Authorization', `Bearer ${u.token}`);
    expect(deleted.status).toBe(204);
    release();
    expectError(await pending, 404, 'SESSION_NOT_FOUND');
    const found = await rows(u.id);
    expect(found.map((r) => [r.endpoint, r.status, r.output_tokens])).toEqual([
      ['/api/v1/chat', 'complete', FAKE_USAGE.output],
      ['/api/v1/chat', 'complete', FAKE_USAGE.output],
    ]);
  });

  it('records a provider error as failed, with the tokens known (none)', async () => {
    const u = await caller();
    llm.behave({ status: 401 });
    expectError(
      await post('/api/v1/chat', u.token, { message: 'x', model: 'gpt-4o' }),
      502,
      'UPSTREAM_ERROR',
    );
    const openai = await post('/v1/chat/completions', u.key, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(openai.status).toBe(502);
    const found = await rows(u.id);
    expect(found.map((r) => [r.endpoint, r.status, r.input_tokens, r.output_tokens])).toEqual([
      ['/api/v1/chat', 'failed', 0, 0],
      ['/v1/chat/completions', 'failed', 0, 0],
    ]);
    expect(found.every((r) => r.cost_usd === 0)).toBe(true);
  });

  it.each(['/v1/chat/completions', '/api/v1/chat/stream'])(
    'records a stream on %s that the client cut as incomplete, with the tokens streamed',
    async (path) => {
      // A special token's name in the prompt is text to count, as a provider reads it.
      const PROMPT = 'count <|endoftext|>';
      const u = await caller();
      llm.behave({
        chunks: ['one ', 'two ', 'three ', 'four ', 'five ', 'six '],
        chunkDelayMs: 150,
        usage: null,
      });
      const body =
        path === '/v1/chat/completions'
          ? { model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }], stream: true }
          : { message: PROMPT, model: 'gpt-4o' };
      const pending = startPost(`${serverUrl(t.app.getHttpServer())}${path}`, body, {
        Authorization: `Bearer ${u.key}`,
      });
      const live = await pending.response;
      expect(live.status).toBe(200);
      await live.waitFor((frames) => frames.filter((f) => f.data.includes('two')).length > 0);
      live.destroy();
      const [row] = await until('the record of the cut stream', async () => {
        const found = await rows(u.id);
        return found.length > 0 && found;
      });
      expect(row).toMatchObject({
        endpoint: path,
        status: 'incomplete',
        api_key_id: u.keyId,
        model: 'gpt-4o',
      });
      // Our own count of what was streamed, the provider having sent none: two or three chunks.
      expect(row.input_tokens).toBeGreaterThan(0);
      expect(row.output_tokens).toBeGreaterThanOrEqual(2);
      expect(row.output_tokens).toBeLessThan(6);
      expect(await rows(u.id)).toHaveLength(1);
    },
  );
});
