import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Response } from 'supertest';

import { JwtStrategy } from '../../src/auth/jwt.strategy';
import { CREDENTIAL_RESOLVER, CredentialResolver } from '../../src/core/auth/credential-resolver';
import { EventsService } from '../../src/core/events/events.service';
import { ModelPrices } from '../../src/models/model-prices';
import { NewUsageRecord, UsageRecordsRepository } from '../../src/usage/usage-records.repository';
import { createUser, TestUser } from '../factories/users.factory';
import { expectError } from '../support/expect-error';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { until } from '../support/wait';
import { startWebhookReceiver, verifyRequest, WebhookReceiver } from '../support/webhook-receiver';

const USAGE = '/api/v1/usage';
const RECORDS = '/api/v1/usage/records';
const DAY_MS = 86_400_000;
const GROUP_FIELDS = [
  'cost_usd',
  'input_tokens',
  'key',
  'output_tokens',
  'requests',
  'unpriced_requests',
];
const RECORD_FIELDS = [
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
const PRICED = 'priced-model';
const CHEAP = 'cheap-model';
const UNPRICED = 'unpriced-model';

function pricesFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'openclaw-usage-')), 'prices.yaml');
  writeFileSync(
    path,
    [
      `${PRICED}: { input_price: 2.5, output_price: 10 }`,
      `${CHEAP}: { input_price: 0.15, output_price: 0.6 }`,
    ].join('\n'),
  );
  return path;
}

/** A UTC instant `days` days before today's noon, so it never crosses a day boundary. */
function daysAgo(days: number, hour = 12): Date {
  const now = new Date();
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour) - days * DAY_MS,
  );
}
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

describe('usage reports and records (SPEC §13)', () => {
  let t: TestApp;
  let repo: UsageRecordsRepository;
  let prices: ModelPrices;
  let alice: TestUser;
  let bob: TestUser;
  let aliceKey: { id: string; key: string };

  const get = (token: string, path: string, query: Record<string, string | number> = {}) =>
    t.http().get(path).query(query).set('Authorization', `Bearer ${token}`);

  /** A record as the completion path writes it, priced as it prices it. */
  async function record(
    user: TestUser,
    overrides: Partial<NewUsageRecord> & { createdAt: Date },
  ): Promise<void> {
    const model = overrides.model ?? PRICED;
    const inputTokens = overrides.inputTokens ?? 100;
    const outputTokens = overrides.outputTokens ?? 50;
    await repo.insert({
      userId: user.id,
      apiKeyId: null,
      model,
      provider: 'test',
      endpoint: '/api/v1/chat',
      status: 'complete',
      inputTokens,
      outputTokens,
      costUsd: prices.cost(model, inputTokens, outputTokens),
      latencyMs: 25,
      ...overrides,
    });
  }

  beforeAll(async () => {
    t = await startTestApp({ PRICES_FILE: pricesFile() });
    repo = t.app.get(UsageRecordsRepository);
    prices = t.app.get(ModelPrices);
    alice = await createUser(t);
    bob = await createUser(t);
    const created = await t
      .http()
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${alice.token}`)
      .send({ name: 'alice key' });
    aliceKey = { id: created.body.id, key: created.body.key };

    // Alice: two days ago, a priced JWT call and an unpriced call with her key; yesterday, two
    // priced calls with her key (one failed) and a cheap one by JWT; 40 days ago, outside the default window.
    await record(alice, {
      createdAt: daysAgo(2),
      inputTokens: 200_000,
      outputTokens: 100_000,
    });
    await record(alice, {
      createdAt: daysAgo(2, 13),
      model: UNPRICED,
      apiKeyId: aliceKey.id,
      inputTokens: 10,
      outputTokens: 5,
      endpoint: '/v1/chat/completions',
    });
    await record(alice, {
      createdAt: daysAgo(1, 0),
      apiKeyId: aliceKey.id,
      inputTokens: 400_000,
      outputTokens: 0,
    });
    await record(alice, {
      createdAt: daysAgo(1, 23),
      apiKeyId: aliceKey.id,
      status: 'failed',
      inputTokens: 0,
      outputTokens: 0,
    });
    await record(alice, {
      createdAt: daysAgo(1, 14),
      model: CHEAP,
      inputTokens: 1_000_000,
      outputTokens: 1_000_000,
      endpoint: '/api/v1/chat/stream',
    });
    await record(alice, { createdAt: daysAgo(40), inputTokens: 7, outputTokens: 7 });
    // Bob: one unpriced call yesterday.
    await record(bob, {
      createdAt: daysAgo(1),
      model: UNPRICED,
      inputTokens: 3,
      outputTokens: 4,
    });
  });
  afterAll(() => t?.close());

  function expectGroups(res: Response): void {
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'from', 'group_by', 'to', 'totals']);
    for (const group of res.body.data) expect(Object.keys(group).sort()).toEqual(GROUP_FIELDS);
    expect(Object.keys(res.body.totals).sort()).toEqual(GROUP_FIELDS.filter((f) => f !== 'key'));
  }

  describe('GET /api/v1/usage', () => {
    it('groups the caller’s own usage by UTC day by default, over the last 30 days, with totals', async () => {
      const res = await get(alice.token, USAGE);
      expectGroups(res);
      expect(res.body.group_by).toBe('day');
      expect(res.body.data).toEqual([
        {
          key: dayOf(daysAgo(2)),
          requests: 2,
          input_tokens: 200_010,
          output_tokens: 100_005,
          cost_usd: 1.5,
          unpriced_requests: 1,
        },
        {
          key: dayOf(daysAgo(1)),
          requests: 3,
          input_tokens: 1_400_000,
          output_tokens: 1_000_000,
          cost_usd: 1.75,
          unpriced_requests: 0,
        },
      ]);
      expect(res.body.totals).toEqual({
        requests: 5,
        input_tokens: 1_600_010,
        output_tokens: 1_100_005,
        cost_usd: 3.25,
        unpriced_requests: 1,
      });
      // The window: 30 UTC calendar days up to now.
      const from = new Date(res.body.from);
      expect(res.body.from).toBe(new Date(daysAgo(29, 0)).toISOString());
      expect(Date.now() - new Date(res.body.to).getTime()).toBeLessThan(60_000);
      expect(from.getTime()).toBeLessThan(new Date(res.body.to).getTime());
    });

    it('groups by model, costing each from its price, and a group with no priced record has cost_usd null', async () => {
      const res = await get(alice.token, USAGE, { group_by: 'model' });
      expectGroups(res);
      expect(res.body.group_by).toBe('model');
      const byKey = Object.fromEntries(res.body.data.map((g: { key: string }) => [g.key, g]));
      expect(Object.keys(byKey).sort()).toEqual([CHEAP, PRICED, UNPRICED].sort());
      // 1M in at $0.15 and 1M out at $0.60.
      expect(byKey[CHEAP]).toMatchObject({ requests: 1, cost_usd: 0.75, unpriced_requests: 0 });
      // 200k in + 100k out, then 400k in: $0.50 + $1.00 + $1.00.
      expect(byKey[PRICED]).toMatchObject({
        requests: 3,
        input_tokens: 600_000,
        output_tokens: 100_000,
        cost_usd: 2.5,
      });
      expect(byKey[UNPRICED]).toEqual({
        key: UNPRICED,
        requests: 1,
        input_tokens: 10,
        output_tokens: 5,
        cost_usd: null,
        unpriced_requests: 1,
      });
      // Largest first by tokens.
      expect(res.body.data[0].key).toBe(CHEAP);
    });

    it('groups by API key, the JWT calls under the key null', async () => {
      const res = await get(alice.token, USAGE, { group_by: 'api_key' });
      expectGroups(res);
      const byKey = new Map(res.body.data.map((g: { key: string | null }) => [g.key, g]));
      expect([...byKey.keys()].sort()).toEqual([aliceKey.id, null].sort());
      expect(byKey.get(null)).toMatchObject({
        requests: 2,
        input_tokens: 1_200_000,
        output_tokens: 1_100_000,
        cost_usd: 2.25,
        unpriced_requests: 0,
      });
      expect(byKey.get(aliceKey.id)).toMatchObject({
        requests: 3,
        input_tokens: 400_010,
        output_tokens: 5,
        cost_usd: 1,
        unpriced_requests: 1,
      });
    });

    it('a user never sees another user’s usage', async () => {
      const res = await get(bob.token, USAGE, { group_by: 'model' });
      expectGroups(res);
      expect(res.body.data).toEqual([
        {
          key: UNPRICED,
          requests: 1,
          input_tokens: 3,
          output_tokens: 4,
          cost_usd: null,
          unpriced_requests: 1,
        },
      ]);
      // Alice's key id as a filter finds nothing of Bob's.
      const filtered = await get(bob.token, USAGE, { api_key_id: aliceKey.id });
      expect(filtered.body.totals.requests).toBe(0);
    });

    it('an admin reads a user’s usage with user_id, and everyone’s with group_by=user', async () => {
      const one = await get(t.adminToken, USAGE, { user_id: bob.id });
      expectGroups(one);
      expect(one.body.totals).toMatchObject({ requests: 1, input_tokens: 3, output_tokens: 4 });

      const everyone = await get(t.adminToken, USAGE, { group_by: 'user' });
      expectGroups(everyone);
      const byUser = new Map(everyone.body.data.map((g: { key: string }) => [g.key, g]));
      expect(byUser.get(alice.id)).toMatchObject({ requests: 5, cost_usd: 3.25 });
      expect(byUser.get(bob.id)).toMatchObject({ requests: 1, cost_usd: null });
      expect(everyone.body.totals).toMatchObject({
        requests: 6,
        cost_usd: 3.25,
        unpriced_requests: 2,
      });

      // The admin's own usage, without either: none.
      const own = await get(t.adminToken, USAGE);
      expect(own.body.data).toEqual([]);
      expect(own.body.totals).toEqual({
        requests: 0,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: null,
        unpriced_requests: 0,
      });
    });

    it('a non-admin passing user_id or group_by=user gets 403', async () => {
      expectError(await get(alice.token, USAGE, { user_id: bob.id }), 403, 'FORBIDDEN');
      expectError(await get(alice.token, USAGE, { user_id: alice.id }), 403, 'FORBIDDEN');
      expectError(await get(alice.token, USAGE, { group_by: 'user' }), 403, 'FORBIDDEN');
      expectError(await get(aliceKey.key, RECORDS, { user_id: bob.id }), 403, 'FORBIDDEN');
    });

    it('an API key reads its user’s usage like a JWT', async () => {
      const res = await get(aliceKey.key, USAGE);
      expect(res.status).toBe(200);
      expect(res.body.totals.requests).toBe(5);
    });

    it('takes a window: a date `to` includes its whole day, a date-time is exclusive', async () => {
      const yesterday = dayOf(daysAgo(1));
      const day = await get(alice.token, USAGE, { from: yesterday, to: yesterday });
      expect(day.status).toBe(200);
      expect(day.body.totals.requests).toBe(3);
      expect(day.body.from).toBe(`${yesterday}T00:00:00.000Z`);
      expect(day.body.to).toBe(new Date(daysAgo(0, 0)).toISOString());

      // Up to 23:00 exclusive leaves out the failed call at 23:00.
      const until23 = await get(alice.token, USAGE, {
        from: yesterday,
        to: `${yesterday}T23:00:00Z`,
      });
      expect(until23.body.totals.requests).toBe(2);
      // A date-time without a zone is UTC.
      const noZone = await get(alice.token, USAGE, {
        from: yesterday,
        to: `${yesterday}T23:00:00`,
      });
      expect(noZone.body.totals).toEqual(until23.body.totals);

      // The record of 40 days ago, asked for.
      const old = await get(alice.token, USAGE, {
        from: dayOf(daysAgo(41)),
        to: dayOf(daysAgo(39)),
      });
      expect(old.body.data).toEqual([
        {
          key: dayOf(daysAgo(40)),
          requests: 1,
          input_tokens: 7,
          output_tokens: 7,
          cost_usd: expect.closeTo(prices.cost(PRICED, 7, 7)!, 12),
          unpriced_requests: 0,
        },
      ]);
      const byModel = await get(alice.token, USAGE, { model: CHEAP });
      expect(byModel.body.totals).toMatchObject({ requests: 1, cost_usd: 0.75 });
    });

    it.each<[string, Record<string, string>, string]>([
      ['a from that is not a date', { from: 'yesterday' }, 'from'],
      ['a to that is not a date', { to: '2026-13-01' }, 'to'],
      ['a week date', { from: '2026-W01' }, 'from'],
      ['an unknown group_by', { group_by: 'week' }, 'group_by'],
      ['a malformed user_id', { user_id: 'not-a-uuid' }, 'user_id'],
      ['a from after to', { from: '2026-02-02', to: '2026-02-01' }, 'from'],
      [
        'a from after a date-time to',
        { from: '2026-02-01T10:00:00Z', to: '2026-02-01T09:00Z' },
        'from',
      ],
      ['an empty window', { from: '2026-02-01T10:00:00Z', to: '2026-02-01T10:00:00Z' }, 'from'],
    ])('%s is a 400 naming the field', async (_name, query, field) => {
      const res = await get(t.adminToken, USAGE, query);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details.fields).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
    });

    it('a deleted user’s records stay for billing history; an admin still reads them', async () => {
      const carol = await createUser(t);
      await record(carol, { createdAt: daysAgo(1), inputTokens: 11, outputTokens: 1 });
      const deleted = await t
        .http()
        .delete(`/api/v1/users/${carol.id}`)
        .set('Authorization', `Bearer ${t.adminToken}`);
      expect(deleted.status).toBe(204);
      const res = await get(t.adminToken, USAGE, { user_id: carol.id });
      expect(res.body.totals).toMatchObject({ requests: 1, input_tokens: 11 });
      await t.db.query(
        t.db.options.type === 'postgres'
          ? 'DELETE FROM usage_records WHERE user_id = $1'
          : 'DELETE FROM usage_records WHERE user_id = ?',
        [carol.id],
      );
    });
  });

  describe('GET /api/v1/usage/records', () => {
    it('pages through the caller’s own records, newest first, field for field', async () => {
      const first = await get(alice.token, RECORDS, { limit: 2 });
      expect(first.status).toBe(200);
      expect(Object.keys(first.body).sort()).toEqual(['data', 'limit', 'offset', 'total']);
      expect(first.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
      expect(first.body.data).toHaveLength(2);
      for (const r of first.body.data) {
        expect(Object.keys(r).sort()).toEqual(RECORD_FIELDS);
        expect(r.user_id).toBe(alice.id);
      }
      // Newest first: the failed call yesterday at 23:00.
      expect(first.body.data[0]).toMatchObject({
        status: 'failed',
        api_key_id: aliceKey.id,
        model: PRICED,
        provider: 'test',
        endpoint: '/api/v1/chat',
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: 0,
        latency_ms: 25,
        created_at: daysAgo(1, 23).toISOString(),
      });
      const rest = await get(alice.token, RECORDS, { limit: 2, offset: 2 });
      const last = await get(alice.token, RECORDS, { limit: 2, offset: 4 });
      expect(last.body.data).toHaveLength(1);
      const ids = [...first.body.data, ...rest.body.data, ...last.body.data].map(
        (r: { id: string }) => r.id,
      );
      expect(new Set(ids).size).toBe(5);
      const asc = await get(alice.token, RECORDS, { order: 'asc', limit: 100 });
      expect(asc.body.data.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
      const unpriced = asc.body.data.find((r: { model: string }) => r.model === UNPRICED);
      expect(unpriced).toMatchObject({ cost_usd: null, endpoint: '/v1/chat/completions' });
    });

    it('filters by window, model, API key and (admins) user', async () => {
      const byKey = await get(alice.token, RECORDS, { api_key_id: aliceKey.id });
      expect(byKey.body.total).toBe(3);
      const byModel = await get(alice.token, RECORDS, { model: UNPRICED });
      expect(byModel.body.total).toBe(1);
      const old = await get(alice.token, RECORDS, { from: dayOf(daysAgo(50)) });
      expect(old.body.total).toBe(6);
      const bobs = await get(t.adminToken, RECORDS, { user_id: bob.id });
      expect(bobs.body.data.map((r: { user_id: string }) => r.user_id)).toEqual([bob.id]);
      const own = await get(bob.token, RECORDS);
      expect(own.body.total).toBe(1);
    });

    it.each<[string, Record<string, string | number>, string]>([
      ['a limit above 100', { limit: 101 }, 'limit'],
      ['a negative offset', { offset: -1 }, 'offset'],
      ['an unknown order', { order: 'newest' }, 'order'],
      ['a bad date', { to: '31/01/2026' }, 'to'],
      ['a malformed api_key_id', { api_key_id: '42' }, 'api_key_id'],
    ])('%s is a 400', async (_name, query, field) => {
      const res = await get(alice.token, RECORDS, query);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details.fields).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
    });
  });

  describe('UsageRecordsRepository', () => {
    it('sumSince counts a user’s or a key’s tokens and priced cost since an instant', async () => {
      expect(await repo.sumSince({ userId: alice.id }, daysAgo(3))).toEqual({
        tokens: 2_700_015,
        cost_usd: 3.25,
      });
      expect(await repo.sumSince({ userId: alice.id }, daysAgo(1, 14))).toEqual({
        tokens: 2_000_000,
        cost_usd: 0.75,
      });
      expect(await repo.sumSince({ apiKeyId: aliceKey.id }, daysAgo(3))).toEqual({
        tokens: 400_015,
        cost_usd: 1,
      });
      expect(await repo.sumSince({ userId: bob.id }, daysAgo(3))).toEqual({
        tokens: 7,
        cost_usd: 0,
      });
    });

    it('insert writes inside the caller’s transaction, and nothing when it rolls back', async () => {
      const dave = await createUser(t);
      await expect(
        t.db.transaction(async (tx) => {
          await repo.insert(
            {
              userId: dave.id,
              apiKeyId: null,
              model: PRICED,
              provider: 'test',
              endpoint: '/api/v1/chat',
              status: 'complete',
              inputTokens: 1,
              outputTokens: 1,
              costUsd: null,
              latencyMs: 1,
            },
            tx,
          );
          throw new Error('the turn failed');
        }),
      ).rejects.toThrow('the turn failed');
      expect((await repo.sumSince({ userId: dave.id }, daysAgo(1))).tokens).toBe(0);
    });
  });
});

describe('limit fields: user quota, default_user_quota, key models and tokens_per_day', () => {
  let t: TestApp;
  let user: TestUser;
  const QUOTA = { tokens_per_day: 1000, tokens_per_month: 20_000, cost_per_month_usd: 12.5 };
  const NO_LIMITS = { tokens_per_day: null, tokens_per_month: null, cost_per_month_usd: null };

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const patchUser = (token: string, id: string, body: object) =>
    t.http().patch(`/api/v1/users/${id}`).set(as(token)).send(body);

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t?.close());

  function expectFieldError(res: Response, field: string): void {
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.error.details.fields).toEqual(
      expect.arrayContaining([{ field, message: expect.any(String) }]),
    );
  }

  it('every user answer carries quota, null until an admin sets one', async () => {
    const me = await t.http().get('/api/v1/users/me').set(as(user.token));
    expect(me.body.quota).toBeNull();
    const list = await t.http().get('/api/v1/users').set(as(t.adminToken));
    for (const u of list.body.data) expect(u).toHaveProperty('quota');
  });

  it('an admin sets, partly sets, clears and creates with a quota; every answer shows it', async () => {
    const set = await patchUser(t.adminToken, user.id, { quota: QUOTA });
    expect(set.status).toBe(200);
    expect(set.body.quota).toEqual(QUOTA);
    const me = await t.http().get('/api/v1/users/me').set(as(user.token));
    expect(me.body.quota).toEqual(QUOTA);
    const one = await t.http().get(`/api/v1/users/${user.id}`).set(as(t.adminToken));
    expect(one.body.quota).toEqual(QUOTA);

    // A quota replaces the previous one; fields left out are no limit.
    const partial = await patchUser(t.adminToken, user.id, { quota: { tokens_per_day: 5 } });
    expect(partial.body.quota).toEqual({ ...NO_LIMITS, tokens_per_day: 5 });
    // {} is this user's own "no limit", null falls back to the config's default.
    const none = await patchUser(t.adminToken, user.id, { quota: {} });
    expect(none.body.quota).toEqual(NO_LIMITS);
    const cleared = await patchUser(t.adminToken, user.id, { quota: null });
    expect(cleared.body.quota).toBeNull();
    // Other changes leave it alone.
    await patchUser(t.adminToken, user.id, { quota: QUOTA });
    const renamed = await patchUser(t.adminToken, user.id, { name: 'Renamed' });
    expect(renamed.body.quota).toEqual(QUOTA);

    const created = await t
      .http()
      .post('/api/v1/users')
      .set(as(t.adminToken))
      .send({
        email: `quota-${Date.now()}@example.test`,
        password: 'password-123',
        quota: { cost_per_month_usd: 0.5 },
      });
    expect(created.status).toBe(201);
    expect(created.body.quota).toEqual({ ...NO_LIMITS, cost_per_month_usd: 0.5 });
  });

  it('a user sending quota, even their own or null, gets 403 and nothing changes', async () => {
    await patchUser(t.adminToken, user.id, { quota: QUOTA });
    for (const quota of [{ tokens_per_day: 10 ** 9 }, null]) {
      expectError(await patchUser(user.token, user.id, { quota }), 403, 'FORBIDDEN');
    }
    const me = await t.http().get('/api/v1/users/me').set(as(user.token));
    expect(me.body.quota).toEqual(QUOTA);
  });

  it.each<[string, unknown, string]>([
    ['an unknown field', { tokens_per_week: 5 }, 'quota.tokens_per_week'],
    ['zero tokens', { tokens_per_day: 0 }, 'quota.tokens_per_day'],
    ['negative tokens', { tokens_per_month: -1 }, 'quota.tokens_per_month'],
    ['fractional tokens', { tokens_per_day: 1.5 }, 'quota.tokens_per_day'],
    ['tokens as a string', { tokens_per_day: '100' }, 'quota.tokens_per_day'],
    ['a zero cost', { cost_per_month_usd: 0 }, 'quota.cost_per_month_usd'],
    ['a number', 5, 'quota'],
    ['a list', [1], 'quota'],
  ])('%s in a quota is a 400', async (_name, quota, field) => {
    expectFieldError(await patchUser(t.adminToken, user.id, { quota }), field);
    const res = await t
      .http()
      .post('/api/v1/users')
      .set(as(t.adminToken))
      .send({ email: `bad-${Date.now()}@example.test`, password: 'password-123', quota });
    expectFieldError(res, field);
  });

  it('config default_user_quota round-trips, validates, and config.updated carries it', async () => {
    const before = await t.http().get('/api/v1/config').set(as(user.token));
    expect(before.body.default_user_quota).toBeNull();
    const set = await t
      .http()
      .patch('/api/v1/config')
      .set(as(t.adminToken))
      .send({ default_user_quota: { tokens_per_month: 100_000 } });
    expect(set.status).toBe(200);
    expect(set.body.default_user_quota).toEqual({ ...NO_LIMITS, tokens_per_month: 100_000 });
    const seen = await t.http().get('/api/v1/config').set(as(user.token));
    expect(seen.body.default_user_quota).toEqual(set.body.default_user_quota);
    const other = await t
      .http()
      .patch('/api/v1/config')
      .set(as(t.adminToken))
      .send({ temperature: 1 });
    expect(other.body.default_user_quota).toEqual(set.body.default_user_quota);

    expectFieldError(
      await t
        .http()
        .patch('/api/v1/config')
        .set(as(t.adminToken))
        .send({ default_user_quota: { tokens_per_day: -5 } }),
      'default_user_quota.tokens_per_day',
    );
    expectFieldError(
      await t
        .http()
        .patch('/api/v1/config')
        .set(as(t.adminToken))
        .send({ default_user_quota: { per_hour: 5 } }),
      'default_user_quota.per_hour',
    );
    expectError(
      await t.http().patch('/api/v1/config').set(as(user.token)).send({ default_user_quota: null }),
      403,
      'FORBIDDEN',
    );
    const cleared = await t
      .http()
      .patch('/api/v1/config')
      .set(as(t.adminToken))
      .send({ default_user_quota: null });
    expect(cleared.body.default_user_quota).toBeNull();
  });

  it('API keys keep models and tokens_per_day and show them in every answer', async () => {
    const created = await t
      .http()
      .post('/api/v1/api-keys')
      .set(as(user.token))
      .send({ name: 'limited', models: ['echo'], tokens_per_day: 5000 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ models: ['echo'], tokens_per_day: 5000 });
    const plain = await t.http().post('/api/v1/api-keys').set(as(user.token)).send({ name: 'p' });
    expect(plain.body).toMatchObject({ models: null, tokens_per_day: null });
    const list = await t.http().get('/api/v1/api-keys').set(as(user.token));
    const byId = new Map(list.body.data.map((k: { id: string }) => [k.id, k]));
    expect(byId.get(created.body.id)).toMatchObject({ models: ['echo'], tokens_per_day: 5000 });
    expect(byId.get(plain.body.id)).toMatchObject({ models: null, tokens_per_day: null });
  });

  it.each<[string, object, string]>([
    ['an empty models list', { models: [] }, 'models'],
    ['a model the server does not know', { models: ['echo', 'no-such-model'] }, 'models'],
    ['a model that is not a string', { models: [5] }, 'models'],
    ['models twice', { models: ['echo', 'echo'] }, 'models'],
    ['models as a string', { models: 'echo' }, 'models'],
    ['a zero tokens_per_day', { tokens_per_day: 0 }, 'tokens_per_day'],
    ['a fractional tokens_per_day', { tokens_per_day: 2.5 }, 'tokens_per_day'],
  ])('%s on a key is a 400', async (_name, body, field) => {
    const res = await t
      .http()
      .post('/api/v1/api-keys')
      .set(as(user.token))
      .send({ name: 'bad', ...body });
    expectFieldError(res, field);
  });
});

describe('the principal carries quota and key limits, fresh on every replica', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startApp(a.env, { reset: false });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('an admin’s quota change on one replica is in the next principal the other resolves', async () => {
    const user = await createUser(a);
    const created = await a
      .http()
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ name: 'limited', models: ['echo'], tokens_per_day: 700 });
    const key: string = created.body.key;
    const keys = b.app.get<CredentialResolver>(CREDENTIAL_RESOLVER);
    const jwt = b.app.get(JwtStrategy, { strict: false });
    const payload = JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString());

    // Both credentials resolved (and cached) on replica b first.
    expect(await keys.authenticate(key)).toMatchObject({
      quota: null,
      keyModels: ['echo'],
      keyTokensPerDay: 700,
      apiKeyId: created.body.id,
    });
    expect((await jwt.validate(payload)).quota).toBeNull();

    const quota = { tokens_per_day: 10, tokens_per_month: null, cost_per_month_usd: 1 };
    const res = await a
      .http()
      .patch(`/api/v1/users/${user.id}`)
      .set('Authorization', `Bearer ${a.adminToken}`)
      .send({ quota });
    expect(res.status).toBe(200);

    // The change reaches b through Redis; a quota change bumps no token version.
    await until('replica b to see the quota', async () => {
      const principal = await keys.authenticate(key);
      return principal.quota?.tokens_per_day === 10 || undefined;
    });
    expect((await keys.authenticate(key)).quota).toEqual(quota);
    expect((await jwt.validate(payload)).quota).toEqual(quota);
    expect(
      (await b.http().get('/api/v1/users/me').set('Authorization', `Bearer ${user.token}`)).status,
    ).toBe(200);
  });
});

describe('quota.exceeded reaches the user’s and the active admins’ webhooks', () => {
  let t: TestApp;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '300ms',
      WEBHOOK_RECONCILE_INTERVAL_MS: '500',
    });
    rx = await startWebhookReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  async function hook(token: string, path: string, events: string[]): Promise<string> {
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Authorization', `Bearer ${token}`)
      .send({ url: `${rx.url}?to=${path}`, events });
    expect(res.status).toBe(201);
    return res.body.secret;
  }

  it('one event with a user-and-admins audience is delivered to both, and to no other user', async () => {
    const user = await createUser(t);
    const bystander = await createUser(t);
    const otherAdmin = await createUser(t, 'admin');
    const secrets = {
      user: await hook(user.token, 'user', ['quota.exceeded']),
      admin: await hook(t.adminToken, 'admin', ['*']),
      other: await hook(otherAdmin.token, 'other', ['quota.exceeded']),
      bystander: await hook(bystander.token, 'bystander', ['*']),
    };
    const data = {
      user_id: user.id,
      email: user.email,
      api_key_id: null,
      limit_name: 'tokens_per_day',
      limit: 1000,
      used: 1000,
      resets_at: '2030-01-01T00:00:00.000Z',
    };
    const events = t.app.get(EventsService);
    await events.transaction(t.db, (_tx, emit) =>
      emit('quota.exceeded', { userId: user.id, alsoAdmins: true }, data),
    );

    const requests = await rx.waitFor(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.requests).toHaveLength(3);
    const to = (name: string) => rx.requests.filter((r) => r.path.endsWith(`to=${name}`));
    for (const name of ['user', 'admin', 'other'] as const) {
      const [received] = to(name);
      expect(received).toBeDefined();
      const event = JSON.parse(received.rawBody);
      expect(event).toMatchObject({ type: 'quota.exceeded', data });
      // Verifiable with the owner's secret, so each went to its own webhook.
      expect(verifyRequest(secrets[name], received).type).toBe('quota.exceeded');
    }
    expect(to('bystander')).toEqual([]);
    expect(new Set(requests.map((r) => JSON.parse(r.rawBody).id)).size).toBe(1);
  });

  it('config.updated carries default_user_quota to the admins’ webhooks', async () => {
    const secret = await hook(t.adminToken, 'config', ['config.updated']);
    const quota = { tokens_per_day: null, tokens_per_month: 5000, cost_per_month_usd: null };
    const res = await t
      .http()
      .patch('/api/v1/config')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ default_user_quota: { tokens_per_month: 5000 } });
    expect(res.status).toBe(200);
    await until('the config.updated delivery', async () =>
      rx.requests.some((r) => r.path.endsWith('to=config')),
    );
    const received = rx.requests.filter((r) => r.path.endsWith('to=config'));
    expect(received).toHaveLength(1);
    const event = verifyRequest(secret, received[0]);
    expect(event.type).toBe('config.updated');
    expect(event.data).toMatchObject({ default_user_quota: quota });
  });

  it('a non-admin may subscribe to quota.exceeded', async () => {
    const user = await createUser(t);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set('Authorization', `Bearer ${user.token}`)
      .send({ url: rx.url, events: ['quota.exceeded'] });
    expect(res.status).toBe(201);
  });
});
