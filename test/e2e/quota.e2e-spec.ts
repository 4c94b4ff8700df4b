import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Redis from 'ioredis';

import { Clock } from '../../src/usage/clock';
import { createUser, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { sleep, until } from '../support/wait';
import { startWebhookReceiver, WebhookReceiver } from '../support/webhook-receiver';

// Every reply of the fake provider uses 11 + 7 tokens; gpt-4o is priced so that each costs this.
const CALL_TOKENS = 18;
const CALL_COST = (11 * 2.5 + 7 * 10) / 1e6;

type Quota = {
  tokens_per_day?: number | null;
  tokens_per_month?: number | null;
  cost_per_month_usd?: number | null;
};

describe('quotas and key limits (SPEC §13)', () => {
  let llm: FakeLlm;
  let redis: PrivateRedis;
  let t: TestApp;
  let clock: Clock;
  const realNow = Clock.prototype.now;

  const admin = () => t.adminToken;
  const post = (path: string, token: string, body: object) =>
    t.http().post(path).set('Authorization', `Bearer ${token}`).send(body);
  const chat = (token: string, model = 'gpt-4o') =>
    post('/api/v1/chat', token, { message: 'hello', model });
  const completion = (token: string, model = 'gpt-4o', stream = false) =>
    post('/v1/chat/completions', token, {
      model,
      messages: [{ role: 'user', content: 'hello' }],
      ...(stream ? { stream } : {}),
    });

  async function setQuota(userId: string, quota: Quota | null): Promise<void> {
    const res = await t
      .http()
      .patch(`/api/v1/users/${userId}`)
      .set('Authorization', `Bearer ${admin()}`)
      .send({ quota });
    expect(res.status).toBe(200);
  }

  async function setDefaultQuota(quota: Quota | null): Promise<void> {
    const res = await t
      .http()
      .patch('/api/v1/config')
      .set('Authorization', `Bearer ${admin()}`)
      .send({ default_user_quota: quota });
    expect(res.status).toBe(200);
  }

  async function createKey(user: TestUser, limits: object): Promise<{ key: string; id: string }> {
    const res = await post('/api/v1/api-keys', user.token, { name: 'limited', ...limits });
    expect(res.status).toBe(201);
    return { key: res.body.key, id: res.body.id };
  }

  /** A user with this quota, set before their first call. */
  async function userWith(quota: Quota | null): Promise<TestUser> {
    const user = await createUser(t);
    await setQuota(user.id, quota);
    return user;
  }

  const nextMidnight = (at: Date) =>
    new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));

  const counter = async (key: string): Promise<string | null> => {
    const client = new Redis(redis.url);
    try {
      return await client.get(`openclaw:${key}`);
    } finally {
      client.disconnect();
    }
  };

  const sumOfRecords = async (userId: string): Promise<number> => {
    const p = t.env.database.type === 'postgres' ? '$1' : '?';
    const [row] = (await t.db.query(
      `SELECT SUM(input_tokens + output_tokens) AS tokens FROM usage_records WHERE user_id = ${p}`,
      [userId],
    )) as { tokens: string | number | null }[];
    return Number(row.tokens ?? 0);
  };

  beforeAll(async () => {
    llm = await startFakeLlm();
    redis = await startPrivateRedis();
    const prices = join(mkdtempSync(join(tmpdir(), 'openclaw-prices-')), 'prices.json');
    writeFileSync(prices, JSON.stringify({ 'gpt-4o': { input_price: 2.5, output_price: 10 } }));
    t = await startTestApp({
      REDIS_URL: redis.url,
      OPENAI_API_KEY: 'sk-quota-test',
      OPENAI_BASE_URL: llm.baseURL,
      PRICES_FILE: prices,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '1s',
    });
    clock = t.app.get(Clock);
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
    await redis?.stop();
  });
  beforeEach(() => llm.reset());
  afterEach(() => {
    clock.now = realNow;
  });

  describe("a key's models", () => {
    it('refuses any other model with 403 MODEL_NOT_ALLOWED before the provider is called', async () => {
      const user = await createUser(t);
      const { key } = await createKey(user, { models: ['gpt-4o'] });
      expectError(await chat(key, 'echo'), 403, 'MODEL_NOT_ALLOWED');
      const openai = await completion(key, 'echo');
      expect(openai.status).toBe(403);
      expect(openai.body).toEqual({
        error: {
          message: expect.stringContaining('echo'),
          type: 'permission_error',
          code: 'model_not_allowed',
          param: 'model',
        },
      });
      expect(llm.requests).toHaveLength(0);

      expect((await chat(key, 'gpt-4o')).status).toBe(200);
      expect((await completion(key, 'gpt-4o', true)).status).toBe(200);
      // The user's JWT is not held to the key's list.
      expect((await chat(user.token, 'echo')).status).toBe(200);
      expect(llm.requests).toHaveLength(2);
    });

    it('refuses a model outside the list with 403 even where the model does not exist (404 to others)', async () => {
      const user = await createUser(t);
      const { key } = await createKey(user, { models: ['echo'] });
      expectError(await chat(key, 'no-such-model'), 403, 'MODEL_NOT_ALLOWED');
      const openai = await completion(key, 'no-such-model');
      expect(openai.status).toBe(403);
      expect(openai.body.error.code).toBe('model_not_allowed');
      expectError(await chat(user.token, 'no-such-model'), 404, 'MODEL_NOT_FOUND');
      expect((await chat(key, 'echo')).status).toBe(200);
    });

    it('lists only its models, on /api/v1/models and /v1/models; another model by id is a 403', async () => {
      const user = await createUser(t);
      const { key } = await createKey(user, { models: ['echo'] });
      const ids = async (token: string, path: string) => {
        const res = await t.http().get(path).set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(200);
        return (res.body.data as { id: string }[]).map((m) => m.id).sort();
      };
      expect(await ids(key, '/api/v1/models')).toEqual(['echo']);
      expect(await ids(key, '/v1/models')).toEqual(['echo']);
      // The user's JWT is not held to the key's list: every usable model, the same on both routes.
      const all = await ids(user.token, '/api/v1/models');
      expect(all).toEqual(expect.arrayContaining(['echo', 'gpt-4o']));
      expect(all.length).toBeGreaterThan(2);
      expect(await ids(user.token, '/v1/models')).toEqual(all);

      const echo = await t.http().get('/v1/models/echo').set('Authorization', `Bearer ${key}`);
      expect(echo.status).toBe(200);
      expect(echo.body.id).toBe('echo');
      const other = await t.http().get('/v1/models/gpt-4o').set('Authorization', `Bearer ${key}`);
      expect(other.status).toBe(403);
      expect(other.body.error).toMatchObject({
        type: 'permission_error',
        code: 'model_not_allowed',
      });
      const mine = await t
        .http()
        .get('/v1/models/gpt-4o')
        .set('Authorization', `Bearer ${user.token}`);
      expect(mine.status).toBe(200);
    });
  });

  describe('token quotas', () => {
    it('refuses a call once the daily quota is used up: 429 QUOTA_EXCEEDED with details and Retry-After, the provider untouched', async () => {
      const user = await userWith({ tokens_per_day: 30 });
      expect((await chat(user.token)).status).toBe(200);
      expect((await completion(user.token)).status).toBe(200);
      expect(llm.requests).toHaveLength(2);

      const refused = await chat(user.token);
      const now = new Date();
      expectError(refused, 429, 'QUOTA_EXCEEDED');
      const resetsAt = nextMidnight(now);
      expect(refused.body.error.details).toEqual({
        limit: 30,
        used: 2 * CALL_TOKENS,
        resets_at: resetsAt.toISOString(),
      });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(Math.abs(retryAfter - (resetsAt.getTime() - now.getTime()) / 1000)).toBeLessThan(3);

      const openai = await completion(user.token, 'gpt-4o', true);
      expect(openai.status).toBe(429);
      expect(openai.headers['retry-after']).toBeDefined();
      expect(openai.body).toEqual({
        error: {
          message: expect.any(String),
          type: 'insufficient_quota',
          code: 'insufficient_quota',
          param: null,
        },
      });
      expect(llm.requests).toHaveLength(2);
    });

    it("holds a key to its own tokens_per_day, and the user's other credentials not", async () => {
      const user = await createUser(t);
      const { key } = await createKey(user, { tokens_per_day: 10 });
      expect((await completion(key)).status).toBe(200);
      const refused = await completion(key);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('insufficient_quota');
      expectError(await chat(key), 429, 'QUOTA_EXCEEDED');
      expect((await chat(user.token)).status).toBe(200);
      expect(llm.requests).toHaveLength(2);
    });

    it("applies the config's default_user_quota to users whose quota is null, not to others", async () => {
      await setDefaultQuota({ tokens_per_day: 20 });
      try {
        const byDefault = await userWith(null);
        const unlimited = await userWith({});
        const own = await userWith({ tokens_per_day: 1000 });
        for (const u of [byDefault, unlimited, own]) {
          expect((await chat(u.token)).status).toBe(200);
          expect((await chat(u.token)).status).toBe(200);
        }
        const refused = await chat(byDefault.token);
        expectError(refused, 429, 'QUOTA_EXCEEDED');
        expect(refused.body.error.details).toMatchObject({ limit: 20, used: 2 * CALL_TOKENS });
        expect((await chat(unlimited.token)).status).toBe(200);
        expect((await chat(own.token)).status).toBe(200);
      } finally {
        await setDefaultQuota(null);
      }
    });

    it('counts cost per month in USD, from the prices', async () => {
      const user = await userWith({ cost_per_month_usd: 0.0001 });
      expect((await chat(user.token)).status).toBe(200);
      expect((await chat(user.token)).status).toBe(200);
      const refused = await chat(user.token);
      expectError(refused, 429, 'QUOTA_EXCEEDED');
      const { details } = refused.body.error;
      expect(details.limit).toBe(0.0001);
      expect(details.used).toBeCloseTo(2 * CALL_COST, 12);
      const now = new Date();
      expect(details.resets_at).toBe(
        new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      );
    });

    it('rolls over at UTC midnight by the clock, and at the first of the month', async () => {
      const user = await userWith({ tokens_per_day: 30, tokens_per_month: 70 });
      clock.now = () => new Date('2031-01-31T23:59:30.000Z');
      expect((await chat(user.token)).status).toBe(200);
      expect((await chat(user.token)).status).toBe(200);
      const refused = await chat(user.token);
      expectError(refused, 429, 'QUOTA_EXCEEDED');
      expect(refused.body.error.details).toEqual({
        limit: 30,
        used: 36,
        resets_at: '2031-02-01T00:00:00.000Z',
      });
      expect(refused.headers['retry-after']).toBe('30');

      // A new day, still January's month: the day starts from zero, the month carries on.
      clock.now = () => new Date('2031-01-31T23:59:59.999Z');
      expectError(await chat(user.token), 429, 'QUOTA_EXCEEDED');
      clock.now = () => new Date('2031-02-01T00:00:00.000Z');
      expect((await chat(user.token)).status).toBe(200);
      expect((await chat(user.token)).status).toBe(200);
      const daily = await chat(user.token);
      expect(daily.body.error.details).toEqual({
        limit: 30,
        used: 36,
        resets_at: '2031-02-02T00:00:00.000Z',
      });

      // February's fourth call takes its month to 72 of 70 while the day is used up too: the
      // caller is told of the limit that resets last, the month's.
      clock.now = () => new Date('2031-02-02T08:00:00.000Z');
      expect((await chat(user.token)).status).toBe(200);
      expect((await chat(user.token)).status).toBe(200);
      const monthly = await chat(user.token);
      expectError(monthly, 429, 'QUOTA_EXCEEDED');
      expect(monthly.body.error.details).toEqual({
        limit: 70,
        used: 4 * CALL_TOKENS,
        resets_at: '2031-03-01T00:00:00.000Z',
      });
      expect(monthly.headers['retry-after']).toBe(String(27 * 86400 - 8 * 3600));
      clock.now = () => new Date('2031-03-01T00:00:00.000Z');
      expect((await chat(user.token)).status).toBe(200);
    });
  });

  describe('counters in Redis', () => {
    it('agree with the records, and are rebuilt from them after FLUSHALL: the quota still holds', async () => {
      const user = await userWith({ tokens_per_day: 60 });
      for (let i = 0; i < 3; i++) expect((await chat(user.token)).status).toBe(200);
      const day = new Date().toISOString().slice(0, 10);
      const key = `quota:user:${user.id}:tokens:d:${day}`;
      expect(Number(await counter(key))).toBe(await sumOfRecords(user.id));
      expect(await sumOfRecords(user.id)).toBe(3 * CALL_TOKENS);

      await redis.flush();
      expect(await counter(key)).toBeNull();
      expect((await chat(user.token)).status).toBe(200);
      expect(Number(await counter(key))).toBe(4 * CALL_TOKENS);
      expect(await sumOfRecords(user.id)).toBe(4 * CALL_TOKENS);

      await redis.flush();
      const refused = await chat(user.token);
      expectError(refused, 429, 'QUOTA_EXCEEDED');
      expect(refused.body.error.details.used).toBe(4 * CALL_TOKENS);
      expect(llm.requests).toHaveLength(4);
    });
  });

  describe('when limits change', () => {
    const dayKey = (userId: string) =>
      `quota:user:${userId}:tokens:d:${new Date().toISOString().slice(0, 10)}`;

    it("counts from the records when a user's quota is lifted and set again, the calls in between included", async () => {
      const user = await userWith({ tokens_per_day: 1000 });
      expect((await chat(user.token)).status).toBe(200);
      expect(Number(await counter(dayKey(user.id)))).toBe(CALL_TOKENS);
      await setQuota(user.id, {});
      expect((await chat(user.token)).status).toBe(200);
      expect((await chat(user.token)).status).toBe(200);
      // No limit watches them now: the counter is gone rather than left behind, short.
      expect(await counter(dayKey(user.id))).toBeNull();

      await setQuota(user.id, { tokens_per_day: 3 * CALL_TOKENS });
      const refused = await chat(user.token);
      expectError(refused, 429, 'QUOTA_EXCEEDED');
      expect(refused.body.error.details.used).toBe(3 * CALL_TOKENS);
      expect(Number(await counter(dayKey(user.id)))).toBe(await sumOfRecords(user.id));
      expect(llm.requests).toHaveLength(3);
    });

    it('counts from the records when the default quota is lifted and set again', async () => {
      await setDefaultQuota({ tokens_per_day: 1000 });
      try {
        const user = await userWith(null);
        expect((await chat(user.token)).status).toBe(200);
        await setDefaultQuota(null);
        expect((await chat(user.token)).status).toBe(200);
        await setDefaultQuota({ tokens_per_day: 2 * CALL_TOKENS });
        const refused = await chat(user.token);
        expectError(refused, 429, 'QUOTA_EXCEEDED');
        expect(refused.body.error.details.used).toBe(2 * CALL_TOKENS);
      } finally {
        await setDefaultQuota(null);
      }
    });

    it('counts a call that was under way, without a limit, when the quota was set', async () => {
      const user = await userWith(null);
      let release!: () => void;
      llm.behave({ holdLast: new Promise<void>((r) => (release = r)) }, {});
      const first = chat(user.token).then((res) => res);
      await until('the first call at the provider', () =>
        Promise.resolve(llm.requests.length === 1),
      );
      await setQuota(user.id, { tokens_per_day: 1000 });
      // Read while the first call is still out: the counter is built from one record, this one's.
      expect((await chat(user.token)).status).toBe(200);
      release();
      expect((await first).status).toBe(200);
      expect(await sumOfRecords(user.id)).toBe(2 * CALL_TOKENS);
      expect(Number(await counter(dayKey(user.id)))).toBe(2 * CALL_TOKENS);
    });
  });

  describe('quota.exceeded', () => {
    let userHooks: WebhookReceiver;
    let adminHooks: WebhookReceiver;
    afterAll(async () => {
      await userHooks?.close();
      await adminHooks?.close();
    });

    it("is delivered once to the user's and to an admin's webhook, also after Redis lost its counters", async () => {
      userHooks = await startWebhookReceiver();
      adminHooks = await startWebhookReceiver();
      const user = await userWith({ tokens_per_day: 30 });
      const hook = async (token: string, url: string) => {
        const res = await post('/api/v1/webhooks', token, { url, events: ['quota.exceeded'] });
        expect(res.status).toBe(201);
        return res.body.secret as string;
      };
      const userSecret = await hook(user.token, userHooks.url);
      const adminSecret = await hook(admin(), adminHooks.url);

      expect((await chat(user.token)).status).toBe(200);
      expect((await chat(user.token)).status).toBe(200);
      for (let i = 0; i < 3; i++) expectError(await chat(user.token), 429, 'QUOTA_EXCEEDED');
      await userHooks.waitFor(1);
      await adminHooks.waitFor(1);

      // A new process and an emptied Redis: neither remembers the alert; only the database does.
      const env = t.env;
      await t.close();
      await redis.flush();
      t = await startApp(env, { reset: false });
      clock = t.app.get(Clock);
      for (let i = 0; i < 2; i++) expectError(await chat(user.token), 429, 'QUOTA_EXCEEDED');
      await sleep(1500);
      const expected = {
        id: expect.stringMatching(/^evt_/),
        type: 'quota.exceeded',
        created_at: expect.any(String),
        data: {
          user_id: user.id,
          email: user.email,
          api_key_id: null,
          limit_name: 'tokens_per_day',
          limit: 30,
          used: 36,
          resets_at: nextMidnight(new Date()).toISOString(),
        },
      };
      expect(userHooks.events(userSecret)).toEqual([expected]);
      expect(adminHooks.events(adminSecret)).toEqual([expected]);
    });
  });

  describe('while Redis is down', () => {
    it('answers a prompt 503 to a call with a quota, and lets a call without one through', async () => {
      const limited = await userWith({ tokens_per_day: 1000 });
      const free = await userWith(null);
      expect((await chat(limited.token)).status).toBe(200);
      expect((await chat(free.token)).status).toBe(200);
      await redis.stop();
      try {
        const started = Date.now();
        expectError(await chat(limited.token), 503, 'SERVICE_UNAVAILABLE');
        expect(Date.now() - started).toBeLessThan(2000);
        expect((await chat(free.token)).status).toBe(200);
        expect(llm.requests).toHaveLength(3);
      } finally {
        await redis.start();
      }
      await until(
        'the quota check back with Redis',
        async () => (await chat(limited.token)).status === 200,
      );
      // The free user's call made while Redis was away is in the records, so the rebuilt count has it.
      expect(await sumOfRecords(free.id)).toBe(2 * CALL_TOKENS);
    });
  });
});
