import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Response } from 'supertest';

import { ApiKeysRepository } from '../../src/auth/api-keys.repository';
import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { expectError, expectFieldError } from '../support/expect-error';
import { dbQuery, send } from '../support/http';
import { ISO_UTC } from '../support/matchers';
import { startApp, startTestApp, TestApp } from '../support/test-app';

const KEYS = '/api/v1/api-keys';
const KEY_FIELDS = [
  'created_at',
  'expires_at',
  'id',
  'last_used_at',
  'models',
  'name',
  'prefix',
  'rate_limit_per_minute',
  'tokens_per_day',
];
const KEY_FORMAT = /^oc_[A-Za-z0-9_-]{32,}$/;
const MALFORMED_IDS = ['123', 'not-a-uuid', `${randomUUID()}x`, "1' OR '1'='1"];

type Method = 'get' | 'post' | 'delete';

function keyName(): string {
  return `key ${randomUUID().slice(0, 8)}`;
}

describe('API keys (SPEC §4)', () => {
  let t: TestApp;
  let owner: TestUser;

  function call(method: Method, path: string, token?: string, body?: Record<string, unknown>) {
    return send(t, method, `${KEYS}${path}`, token, body);
  }

  function me(token: string): Promise<Response> {
    return t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
  }

  /** SQL with $1… placeholders on both dialects. */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    dbQuery<T>(t.db, text, params);

  async function create(token: string, body: Record<string, unknown> = {}): Promise<Response> {
    const res = await call('post', '', token, { name: keyName(), ...body });
    expect(res.status).toBe(201);
    return res;
  }

  beforeAll(async () => {
    t = await startTestApp();
    owner = await createUser(t);
  });
  afterAll(() => t.close());

  describe('POST /api-keys', () => {
    it('answers 201 with the key, shown once, and its public fields', async () => {
      const name = keyName();
      const before = Date.now();
      const res = await call('post', '', owner.token, { name });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual([...KEY_FIELDS, 'key'].sort());
      expect(res.body).toMatchObject({
        name,
        expires_at: null,
        last_used_at: null,
        rate_limit_per_minute: null,
        models: null,
        tokens_per_day: null,
      });
      expect(res.body.id).toEqual(expect.any(String));
      expect(res.body.key).toMatch(KEY_FORMAT);
      expect(res.body.prefix).toBe(res.body.key.slice(0, 12));
      expect(res.body.created_at).toMatch(ISO_UTC);
      expect(Date.parse(res.body.created_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(res.body.created_at)).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('gives every key a different secret', async () => {
      const a = await create(owner.token);
      const b = await create(owner.token);
      expect(a.body.key).not.toBe(b.body.key);
      expect(a.body.id).not.toBe(b.body.id);
    });

    it('keeps a future expires_at as given', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const res = await create(owner.token, { expires_at: expiresAt });
      expect(res.body.expires_at).toMatch(ISO_UTC);
      expect(Date.parse(res.body.expires_at)).toBe(Date.parse(expiresAt));
      expect((await me(res.body.key)).status).toBe(200);
    });

    it('keeps a tokens_per_day up to 10^15 (past 32 bits) and refuses a larger one', async () => {
      const res = await create(owner.token, { tokens_per_day: 1e15 });
      expect(res.status).toBe(201);
      expect(res.body.tokens_per_day).toBe(1e15);
      const listed = await call('get', '', owner.token);
      const found = listed.body.data.find((k: { id: string }) => k.id === res.body.id);
      expect(found.tokens_per_day).toBe(1e15);
      expect((await me(res.body.key)).status).toBe(200);

      const tooMany = await call('post', '', owner.token, {
        name: keyName(),
        tokens_per_day: 1e15 + 1,
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.details.fields).toEqual([
        { field: 'tokens_per_day', message: expect.stringMatching(/not be greater than/) },
      ]);
    });

    it('can be created with an API key as the credential', async () => {
      const key = await createApiKey(t, owner.token);
      const res = await call('post', '', key, { name: keyName() });
      expect(res.status).toBe(201);
      expect((await me(res.body.key)).body.id).toBe(owner.id);
    });

    it('stores only a hash: the key appears in no column of its row', async () => {
      const res = await create(owner.token);
      const { key } = res.body as { key: string };
      const rows = await sql<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [
        res.body.id,
      ]);
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row.key_hash).toEqual(expect.any(String));
      expect(row.key_hash).not.toBe(key);
      expect(row.prefix).toBe(key.slice(0, 12));
      const secret = key.slice(12);
      for (const [column, value] of Object.entries(row)) {
        const text = value instanceof Date ? value.toISOString() : String(value);
        expect({ column, hasKey: text.includes(key) }).toEqual({ column, hasKey: false });
        expect({ column, hasSecret: text.includes(secret) }).toEqual({ column, hasSecret: false });
      }
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a missing name', { name: undefined }, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a name over 100 characters', { name: 'k'.repeat(101) }, 'name'],
      ['a numeric name', { name: 5 }, 'name'],
      ['a null name', { name: null }, 'name'],
      ['a name with a NUL character', { name: 'Null\u0000Byte' }, 'name'],
      ['an unknown field', { scope: 'all' }, 'scope'],
      ['a key chosen by the caller', { key: `oc_${'a'.repeat(40)}` }, 'key'],
      ['a user_id field', { user_id: randomUUID() }, 'user_id'],
      [
        'an expires_at in the past',
        { expires_at: new Date(Date.now() - 60_000).toISOString() },
        'expires_at',
      ],
      ['an expires_at long past (1970)', { expires_at: '1970-01-01T00:00:00Z' }, 'expires_at'],
      ['an expires_at that is not a date', { expires_at: 'tomorrow' }, 'expires_at'],
      ['an impossible expires_at', { expires_at: '2030-02-30T00:00:00Z' }, 'expires_at'],
      ['an out-of-range expires_at', { expires_at: '2030-13-45T25:61:00Z' }, 'expires_at'],
      ['an empty expires_at', { expires_at: '' }, 'expires_at'],
      ['a numeric expires_at', { expires_at: Date.now() + 86_400_000 }, 'expires_at'],
      ['a zero rate_limit_per_minute', { rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
      [
        'a fractional rate_limit_per_minute',
        { rate_limit_per_minute: 1.5 },
        'rate_limit_per_minute',
      ],
      ['a string rate_limit_per_minute', { rate_limit_per_minute: '5' }, 'rate_limit_per_minute'],
      [
        "a rate_limit_per_minute above the user's own limit",
        { rate_limit_per_minute: 100_001 },
        'rate_limit_per_minute',
      ],
    ])('rejects %s with 400 VALIDATION_ERROR and creates nothing', async (_, override, field) => {
      const user = await createUser(t);
      const res = await call('post', '', user.token, { name: keyName(), ...override });
      expectFieldError(res, field);
      expect(await sql('SELECT id FROM api_keys WHERE user_id = $1', [user.id])).toHaveLength(0);
    });

    it('keeps a rate_limit_per_minute and shows it in every answer about the key', async () => {
      const res = await create(owner.token, { rate_limit_per_minute: 7 });
      expect(res.body.rate_limit_per_minute).toBe(7);
      const listed = await call('get', '?limit=100', owner.token);
      const item = listed.body.data.find((k: { id: string }) => k.id === res.body.id);
      expect(item.rate_limit_per_minute).toBe(7);
    });

    it('accepts a name of exactly 100 characters', async () => {
      const res = await create(owner.token, { name: 'k'.repeat(100) });
      expect(res.body.name).toBe('k'.repeat(100));
    });

    it('requires credentials: 401 UNAUTHORIZED', async () => {
      expectError(await call('post', '', undefined, { name: keyName() }), 401, 'UNAUTHORIZED');
    });
  });

  describe('using a key', () => {
    it('authenticates as its owner with Authorization: Bearer', async () => {
      const key = await createApiKey(t, owner.token);
      const res = await me(key);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: owner.id, email: owner.email });
    });

    it('records last_used_at after use', async () => {
      const user = await createUser(t);
      const created = await create(user.token);
      expect(created.body.last_used_at).toBeNull();
      const before = Date.now();
      expect((await me(created.body.key)).status).toBe(200);

      let lastUsedAt: string | null = null;
      for (let attempt = 0; attempt < 20 && !lastUsedAt; attempt += 1) {
        const list = await call('get', '', user.token);
        lastUsedAt = list.body.data.find(
          (k: { id: string }) => k.id === created.body.id,
        )?.last_used_at;
        if (!lastUsedAt) await sleep(100);
      }
      expect(lastUsedAt).toMatch(ISO_UTC);
      expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(lastUsedAt!)).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('stops working once a near-future expires_at has passed: 401 INVALID_API_KEY', async () => {
      const expiresAt = Date.now() + 1500;
      const res = await create(owner.token, { expires_at: new Date(expiresAt).toISOString() });
      expect((await me(res.body.key)).status).toBe(200);
      await sleep(expiresAt - Date.now() + 300);
      expectError(await me(res.body.key), 401, 'INVALID_API_KEY');
      expectError(await call('get', '', res.body.key), 401, 'INVALID_API_KEY');
    });

    it.each<[string, () => string]>([
      ['an unknown well-formed key', () => `oc_${randomBytes(32).toString('base64url')}`],
      ['oc_ with nothing after it', () => 'oc_'],
      ['a short oc_ key', () => 'oc_short'],
      ['oc_ followed by garbage', () => `oc_${'!@#$%^&*()'.repeat(4)}`],
      ['a very long oc_ key', () => `oc_${'A'.repeat(500)}`],
    ])('answers %s with 401 INVALID_API_KEY', async (_, key) => {
      expectError(await me(key()), 401, 'INVALID_API_KEY');
    });

    it('answers a real key that has been tampered with with 401 INVALID_API_KEY', async () => {
      const key = await createApiKey(t, owner.token);
      const last = key.at(-1) === 'A' ? 'B' : 'A';
      for (const garbled of [
        `${key.slice(0, -1)}${last}`,
        `${key}x`,
        key.slice(0, -1),
        key.toUpperCase().replace(/^OC_/, 'oc_'),
        key.slice(0, 12),
      ]) {
        if (garbled === key) continue;
        expectError(await me(garbled), 401, 'INVALID_API_KEY');
      }
      expect((await me(key)).status).toBe(200);
    });
  });

  describe('GET /api-keys', () => {
    it("lists only the caller's keys, never the key itself", async () => {
      const alice = await createUser(t);
      const bob = await createUser(t);
      const aliceKeys = [await create(alice.token), await create(alice.token)];
      const bobKey = await create(bob.token);

      const res = await call('get', '', alice.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
      expect(res.body.data.map((k: { id: string }) => k.id).sort()).toEqual(
        aliceKeys.map((k) => k.body.id).sort(),
      );
      for (const item of res.body.data) {
        expect(Object.keys(item).sort()).toEqual(KEY_FIELDS);
        const created = aliceKeys.find((k) => k.body.id === item.id)!;
        expect(item.prefix).toBe(created.body.key.slice(0, 12));
        expect(item.name).toBe(created.body.name);
      }
      for (const key of [...aliceKeys, bobKey].map((k) => k.body.key as string)) {
        expect(res.text).not.toContain(key);
        expect(res.text).not.toContain(key.slice(12));
      }

      const bobs = await call('get', '', bob.token);
      expect(bobs.body.total).toBe(1);
      expect(bobs.body.data[0].id).toBe(bobKey.body.id);
    });

    it("lets an admin list any user's keys with user_id", async () => {
      const user = await createUser(t);
      const key = await create(user.token, { rate_limit_per_minute: 5 });
      const res = await call('get', `?user_id=${user.id}`, t.adminToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
      expect(Object.keys(res.body.data[0]).sort()).toEqual(KEY_FIELDS);
      expect(res.body.data[0]).toMatchObject({ id: key.body.id, rate_limit_per_minute: 5 });
      expect(res.text).not.toContain(key.body.key);
      expectError(
        await call('get', `?user_id=${randomUUID()}`, t.adminToken),
        404,
        'USER_NOT_FOUND',
      );
      expectFieldError(await call('get', '?user_id=not-a-uuid', t.adminToken), 'user_id');
    });

    it('answers a non-admin passing user_id with 403 FORBIDDEN, even their own id', async () => {
      const user = await createUser(t);
      await create(owner.token);
      const key = await createApiKey(t, user.token);
      for (const id of [owner.id, user.id]) {
        for (const token of [user.token, key]) {
          expectError(await call('get', `?user_id=${id}`, token), 403, 'FORBIDDEN');
        }
      }
    });

    it('no longer lists a revoked key', async () => {
      const user = await createUser(t);
      const [kept, revoked] = [await create(user.token), await create(user.token)];
      expect((await call('delete', `/${revoked.body.id}`, user.token)).status).toBe(204);
      for (const res of [
        await call('get', '', user.token),
        await call('get', `?user_id=${user.id}`, t.adminToken),
      ]) {
        expect(res.body.total).toBe(1);
        expect(res.body.data.map((k: { id: string }) => k.id)).toEqual([kept.body.id]);
      }
    });

    it("does not show an admin other users' keys", async () => {
      const user = await createUser(t);
      const key = await create(user.token);
      const res = await call('get', '?limit=100', t.adminToken);
      expect(res.status).toBe(200);
      expect(res.body.data.map((k: { id: string }) => k.id)).not.toContain(key.body.id);
      expect(res.text).not.toContain(key.body.key);
    });

    it('can be read with an API key as the credential', async () => {
      const user = await createUser(t);
      const key = await create(user.token);
      const res = await call('get', '', key.body.key);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(1);
      expect(res.text).not.toContain(key.body.key);
    });

    it('pages with limit, offset and order, newest first by default', async () => {
      const user = await createUser(t);
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        ids.push((await create(user.token)).body.id);
        await sleep(5);
      }
      const byDefault = await call('get', '', user.token);
      expect(byDefault.body.data.map((k: { id: string }) => k.id)).toEqual([...ids].reverse());

      const asc = await call('get', '?order=asc', user.token);
      expect(asc.body.data.map((k: { id: string }) => k.id)).toEqual(ids);

      const first = await call('get', '?limit=2&offset=0&order=asc', user.token);
      expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(first.body.data.map((k: { id: string }) => k.id)).toEqual(ids.slice(0, 2));

      const second = await call('get', '?limit=2&offset=2&order=asc', user.token);
      expect(second.body).toMatchObject({ total: 3, limit: 2, offset: 2 });
      expect(second.body.data.map((k: { id: string }) => k.id)).toEqual(ids.slice(2));

      const beyond = await call('get', '?offset=10', user.token);
      expect(beyond.status).toBe(200);
      expect(beyond.body).toMatchObject({ data: [], total: 3, offset: 10 });

      const unknown = await call('get', '?limit=1&sort=name&owner=x', user.token);
      expect(unknown.status).toBe(200);
      expect(unknown.body).toMatchObject({ total: 3, limit: 1 });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['order=sideways', 'order'],
    ])('rejects ?%s with 400 VALIDATION_ERROR', async (query, field) => {
      expectFieldError(await call('get', `?${query}`, owner.token), field);
    });

    it.each(['offset=1e20', 'offset=99999999999999999999'])(
      'answers ?%s with an empty page or a 400, never a 500',
      async (query) => {
        const res = await call('get', `?${query}`, owner.token);
        if (res.status === 200) expect(res.body.data).toEqual([]);
        else expectFieldError(res, 'offset');
      },
    );

    it('requires credentials: 401 UNAUTHORIZED', async () => {
      expectError(await call('get', ''), 401, 'UNAUTHORIZED');
    });
  });

  describe('DELETE /api-keys/:id', () => {
    it('answers 204 and revokes the key at once: 401 INVALID_API_KEY', async () => {
      const user = await createUser(t);
      const created = await create(user.token);
      expect((await me(created.body.key)).status).toBe(200);

      const res = await call('delete', `/${created.body.id}`, user.token);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await me(created.body.key), 401, 'INVALID_API_KEY');
      expect((await call('get', '', user.token)).body.total).toBe(0);
      expect(await sql('SELECT id FROM api_keys WHERE id = $1', [created.body.id])).toHaveLength(0);
      expectError(
        await call('delete', `/${created.body.id}`, user.token),
        404,
        'API_KEY_NOT_FOUND',
      );
    });

    it('lets a key revoke itself', async () => {
      const created = await create(owner.token);
      expect((await call('delete', `/${created.body.id}`, created.body.key)).status).toBe(204);
      expectError(await me(created.body.key), 401, 'INVALID_API_KEY');
    });

    it("answers a non-admin revoking another user's key with 404 API_KEY_NOT_FOUND, and that key keeps working", async () => {
      const victim = await createUser(t);
      const key = await create(victim.token);
      for (const token of [owner.token, await createApiKey(t, owner.token)]) {
        expectError(await call('delete', `/${key.body.id}`, token), 404, 'API_KEY_NOT_FOUND');
      }
      expect((await me(key.body.key)).status).toBe(200);
      expect((await call('get', '', victim.token)).body.total).toBe(1);
    });

    it("lets an admin revoke any user's key at once", async () => {
      const victim = await createUser(t);
      const key = await create(victim.token);
      const other = await create(victim.token);
      expect((await me(key.body.key)).status).toBe(200);
      expect((await call('delete', `/${key.body.id}`, t.adminToken)).status).toBe(204);
      expectError(await me(key.body.key), 401, 'INVALID_API_KEY');
      expect((await me(other.body.key)).status).toBe(200);
      const listed = await call('get', '', victim.token);
      expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([other.body.id]);
      expectError(await call('delete', `/${key.body.id}`, t.adminToken), 404, 'API_KEY_NOT_FOUND');
    });

    it('answers an unknown or malformed id with 404 API_KEY_NOT_FOUND', async () => {
      expectError(await call('delete', `/${randomUUID()}`, owner.token), 404, 'API_KEY_NOT_FOUND');
      for (const id of MALFORMED_IDS) {
        expectError(
          await call('delete', `/${encodeURIComponent(id)}`, owner.token),
          404,
          'API_KEY_NOT_FOUND',
        );
      }
    });

    it('requires credentials: 401 UNAUTHORIZED', async () => {
      const key = await create(owner.token);
      expectError(await call('delete', `/${key.body.id}`), 401, 'UNAUTHORIZED');
      expect((await me(key.body.key)).status).toBe(200);
    });
  });
  describe('credentials read while requests wait', () => {
    /** The next read of a key by its hash holds its row until `release`. */
    function holdNextRead(reads: jest.SpyInstance, original: ApiKeysRepository['findByHash']) {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      reads.mockImplementationOnce(async (hash: string) => {
        const row = await original(hash);
        await held;
        return row;
      });
      return release;
    }

    /** Sent now (supertest sends a request only once it is awaited). */
    const sent = (token: string) => me(token).then((res) => res);

    async function until(what: string, done: () => boolean): Promise<void> {
      const deadline = Date.now() + 5000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(10);
      }
    }

    it('are read once for every request that arrives during the read, and a read begun before a revocation does not let the key in', async () => {
      const repo = t.app.get(ApiKeysRepository);
      const original = repo.findByHash.bind(repo);
      const reads = jest.spyOn(repo, 'findByHash');
      try {
        const shared = (await create(owner.token)).body.key as string;
        let release = holdNextRead(reads, original);
        const all = Array.from({ length: 20 }, () => sent(shared));
        await until('the first read', () => reads.mock.calls.length > 0);
        await sleep(300); // the other requests arrive meanwhile
        release();
        for (const res of await Promise.all(all)) expect(res.status).toBe(200);
        expect(reads).toHaveBeenCalledTimes(1);

        const revoked = await create(owner.token);
        reads.mockClear();
        release = holdNextRead(reads, original);
        const early = sent(revoked.body.key);
        await until('the early read', () => reads.mock.calls.length > 0);
        expect((await call('delete', `/${revoked.body.id}`, owner.token)).status).toBe(204);
        const after = sent(revoked.body.key);
        await until('the read after the revocation', () => reads.mock.calls.length > 1);
        release();
        expectError(await after, 401, 'INVALID_API_KEY');
        await early;
        expectError(await me(revoked.body.key), 401, 'INVALID_API_KEY');
      } finally {
        reads.mockRestore();
      }
    });
  });

  describe('credentials resolved from memory (a second replica on the same database and Redis)', () => {
    let replica: TestApp;

    function meOn(app: TestApp, token: string): Promise<Response> {
      return app.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
    }

    beforeAll(async () => {
      replica = await startApp(t.env, { reset: false });
    });
    afterAll(() => replica.close());

    it('refuses a key revoked on the other replica at once, though this one served it just before', async () => {
      const user = await createUser(t);
      const key = await create(user.token);
      expect((await meOn(replica, key.body.key)).status).toBe(200);
      expect((await meOn(replica, key.body.key)).status).toBe(200);

      expect((await call('delete', `/${key.body.id}`, user.token)).status).toBe(204);
      expectError(await meOn(replica, key.body.key), 401, 'INVALID_API_KEY');
    });

    it('applies a role change, a disabling and a deletion made on the other replica at once', async () => {
      const user = await createUser(t);
      const key = await createApiKey(t, user.token);
      const admin = (path: string) =>
        t.http().patch(path).set('Authorization', `Bearer ${t.adminToken}`);
      for (const token of [key, user.token]) {
        expect((await meOn(replica, token)).body.role).toBe('user');
      }

      expect((await admin(`/api/v1/users/${user.id}`).send({ role: 'admin' })).status).toBe(200);
      expect((await meOn(replica, key)).body.role).toBe('admin');
      // The role change revoked the JWT issued before it.
      expectError(await meOn(replica, user.token), 401, 'INVALID_TOKEN');
      const login = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      const token = login.body.access_token as string;
      expect((await meOn(replica, token)).body.role).toBe('admin');

      expect((await admin(`/api/v1/users/${user.id}`).send({ disabled: true })).status).toBe(200);
      for (const credential of [key, token, user.token])
        expectError(await meOn(replica, credential), 403, 'FORBIDDEN');

      expect((await admin(`/api/v1/users/${user.id}`).send({ disabled: false })).status).toBe(200);
      expect((await meOn(replica, key)).status).toBe(200);
      expectError(await meOn(replica, token), 401, 'INVALID_TOKEN');
      const removed = await t
        .http()
        .delete(`/api/v1/users/${user.id}`)
        .set('Authorization', `Bearer ${t.adminToken}`);
      expect(removed.status).toBe(204);
      expectError(await meOn(replica, key), 401, 'INVALID_API_KEY');
      expectError(await meOn(replica, user.token), 401, 'INVALID_TOKEN');
    });

    it('stops accepting a served key the moment it expires', async () => {
      const expiresAt = new Date(Date.now() + 1500).toISOString();
      const key = await create(owner.token, { expires_at: expiresAt });
      expect((await meOn(replica, key.body.key)).status).toBe(200);
      await sleep(Math.max(0, new Date(expiresAt).getTime() - Date.now()) + 50);
      expectError(await meOn(replica, key.body.key), 401, 'INVALID_API_KEY');
    });
  });
});

describe('MAX_API_KEYS_PER_USER', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ MAX_API_KEYS_PER_USER: '3' });
  });
  afterAll(() => t.close());

  function post(token: string): Promise<Response> {
    return t.http().post(KEYS).set('Authorization', `Bearer ${token}`).send({ name: keyName() });
  }

  it('answers 409 CONFLICT past the cap of active keys, also for parallel creations', async () => {
    const user = await createUser(t);
    const results = await Promise.all(Array.from({ length: 6 }, () => post(user.token)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    expectError(
      results.find((r) => r.status === 409)!,
      409,
      'CONFLICT',
    );
    const list = () => t.http().get(KEYS).set('Authorization', `Bearer ${user.token}`);
    expect((await list()).body.total).toBe(3);

    // Another user has a cap of their own; a revoked key frees a place.
    expect((await post((await createUser(t)).token)).status).toBe(201);
    const id = results.find((r) => r.status === 201)!.body.id as string;
    await t.http().delete(`${KEYS}/${id}`).set('Authorization', `Bearer ${user.token}`).expect(204);
    expect((await post(user.token)).status).toBe(201);
    expectError(await post(user.token), 409, 'CONFLICT');
    expect((await list()).body.total).toBe(3);
  });

  it('does not count expired keys', async () => {
    const user = await createUser(t);
    const soon = new Date(Date.now() + 1200).toISOString();
    for (let i = 0; i < 3; i++) {
      const res = await t
        .http()
        .post(KEYS)
        .set('Authorization', `Bearer ${user.token}`)
        .send({ name: keyName(), expires_at: soon });
      expect(res.status).toBe(201);
    }
    expectError(await post(user.token), 409, 'CONFLICT');
    await sleep(Math.max(0, Date.parse(soon) - Date.now()) + 50);
    expect((await post(user.token)).status).toBe(201);
  });
});
