import { randomUUID } from 'node:crypto';

import type { Response } from 'supertest';

import { createApiKey, createUser, TestUser, userAttrs } from '../factories/users.factory';
import { expectError, expectFieldError } from '../support/expect-error';
import { dbQuery, send } from '../support/http';
import { ISO_UTC, MALFORMED_IDS } from '../support/matchers';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-env';

const USERS = '/api/v1/users';
const USER_FIELDS = [
  'created_at',
  'disabled',
  'email',
  'id',
  'name',
  'quota',
  'role',
  'updated_at',
];

type Method = 'get' | 'post' | 'patch' | 'delete';

interface FieldError {
  field: string;
  message: string;
}

/**
 * No users response may carry a password or a hash. A validation error may name the `password`
 * field itself (SPEC §3 asks for details.fields), so those entries are set aside before the check.
 */
function expectNoSecrets(res: Response, sentPassword?: unknown): void {
  const body = res.body as { error?: { details?: { fields?: FieldError[] } } } | undefined;
  const fields = body?.error?.details?.fields;
  const scrubbed =
    body?.error && Array.isArray(fields)
      ? {
          ...body,
          error: {
            ...body.error,
            details: {
              ...body.error.details,
              fields: fields.filter((f) => !/password/i.test(f.field)),
            },
          },
        }
      : body;
  const text = JSON.stringify(scrubbed) ?? '';
  expect(text).not.toMatch(/password/i);
  expect(res.text).not.toContain('$argon2');
  expect(res.text).not.toMatch(/\$2[aby]\$\d\d\$/);
  if (typeof sentPassword === 'string' && sentPassword.length >= 8) {
    expect(res.text).not.toContain(sentPassword);
  }
}

function expectUser(body: Record<string, unknown>): void {
  expect(Object.keys(body).sort()).toEqual(USER_FIELDS);
  expect(body.id).toEqual(expect.any(String));
  expect(body.created_at).toMatch(ISO_UTC);
  expect(body.updated_at).toMatch(ISO_UTC);
  expect(typeof body.disabled).toBe('boolean');
  expect(['admin', 'user']).toContain(body.role);
}

describe('users (SPEC §4)', () => {
  let t: TestApp;
  let adminId: string;

  /** Every call to /users goes through here, so every answer is checked for secrets. */
  async function call(
    method: Method,
    path: string,
    token?: string,
    body?: Record<string, unknown> | unknown[],
  ): Promise<Response> {
    const res = await send(t, method, `${USERS}${path}`, token, body);
    expectNoSecrets(res, Array.isArray(body) ? undefined : body?.password);
    return res;
  }

  function login(email: string, password: string): Promise<Response> {
    return t.http().post('/api/v1/auth/login').send({ email, password });
  }

  /** SQL with $1… placeholders on both dialects. */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    dbQuery<T>(t.db, text, params);

  async function allUsers(order: 'asc' | 'desc' = 'asc'): Promise<Record<string, unknown>[]> {
    const users: Record<string, unknown>[] = [];
    for (let offset = 0; ; offset += 100) {
      const res = await call('get', `?limit=100&offset=${offset}&order=${order}`, t.adminToken);
      expect(res.status).toBe(200);
      users.push(...res.body.data);
      if (users.length >= res.body.total || res.body.data.length === 0) return users;
    }
  }

  /** Leaves the bootstrap admin as the one active admin. */
  async function onlyBootstrapAdmin(): Promise<void> {
    for (const u of await allUsers()) {
      if (u.role === 'admin' && u.id !== adminId) {
        const res = await call('patch', `/${u.id as string}`, t.adminToken, { role: 'user' });
        expect(res.status).toBe(200);
      }
    }
  }

  /** A change to the bootstrap admin's role or a disable revokes its JWTs: log in again. */
  async function renewAdminToken(): Promise<void> {
    const res = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    t.adminToken = res.body.access_token;
  }

  async function expectUnchanged(user: TestUser, expected: Record<string, unknown>) {
    const res = await call('get', `/${user.id}`, t.adminToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(expected);
  }

  beforeAll(async () => {
    t = await startTestApp();
    const me = await call('get', '/me', t.adminToken);
    expect(me.status).toBe(200);
    adminId = me.body.id;
  });
  afterAll(() => t.close());

  describe('POST /users', () => {
    it('lets an admin create a user: 201 with the public fields only and a hashed password', async () => {
      const attrs = userAttrs();
      const res = await call('post', '', t.adminToken, attrs);
      expect(res.status).toBe(201);
      expectUser(res.body);
      expect(res.body).toMatchObject({
        email: attrs.email,
        name: attrs.name,
        role: 'user',
        disabled: false,
      });
      expect(res.body.updated_at).toBe(res.body.created_at);

      const [row] = await sql<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [res.body.id],
      );
      expect(row.password_hash).not.toBe(attrs.password);
      expect(row.password_hash).toMatch(/^(\$argon2id\$|\$2[aby]\$)/);
      expect((await login(attrs.email, attrs.password)).status).toBe(200);
    });

    it('creates an admin when role is admin, and a user without a name', async () => {
      const { email, password } = userAttrs();
      const res = await call('post', '', t.adminToken, { email, password, role: 'admin' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ role: 'admin', name: null, disabled: false });
      await onlyBootstrapAdmin();
    });

    it('normalises the e-mail to lower case, and login with any case works', async () => {
      const attrs = userAttrs();
      const mixed = `Mixed.Case.${attrs.email}`.replace('example.test', 'Example.TEST');
      const res = await call('post', '', t.adminToken, { ...attrs, email: mixed });
      expect(res.status).toBe(201);
      expect(res.body.email).toBe(mixed.toLowerCase());
      expect((await login(mixed.toUpperCase(), attrs.password)).status).toBe(200);
      expect((await login(mixed.toLowerCase(), attrs.password)).status).toBe(200);
    });

    it('rejects a taken e-mail in any case with 409 CONFLICT', async () => {
      const attrs = userAttrs();
      expect((await call('post', '', t.adminToken, attrs)).status).toBe(201);
      const again = await call('post', '', t.adminToken, userAttrs({ email: attrs.email }));
      expectError(again, 409, 'CONFLICT');
      const upper = await call(
        'post',
        '',
        t.adminToken,
        userAttrs({ email: attrs.email.toUpperCase() }),
      );
      expectError(upper, 409, 'CONFLICT');
      const rows = await sql('SELECT id FROM users WHERE email = $1', [attrs.email]);
      expect(rows).toHaveLength(1);
    });

    it('gives one of two simultaneous creations of an e-mail 201 and the other 409', async () => {
      const attrs = userAttrs();
      const results = await Promise.all([
        call('post', '', t.adminToken, attrs),
        call('post', '', t.adminToken, userAttrs({ email: attrs.email.toUpperCase() })),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expectError(
        results.find((r) => r.status === 409)!,
        409,
        'CONFLICT',
      );
      expect(await sql('SELECT id FROM users WHERE email = $1', [attrs.email])).toHaveLength(1);
    });

    it('is admin-only: a plain user gets 403 FORBIDDEN by JWT and by API key', async () => {
      const user = await createUser(t);
      const key = await createApiKey(t, user.token);
      const attrs = userAttrs();
      expectError(await call('post', '', user.token, attrs), 403, 'FORBIDDEN');
      expectError(await call('post', '', key, { ...attrs, role: 'admin' }), 403, 'FORBIDDEN');
      expect(await sql('SELECT id FROM users WHERE email = $1', [attrs.email])).toHaveLength(0);
    });

    it('requires credentials: 401 UNAUTHORIZED', async () => {
      expectError(await call('post', '', undefined, userAttrs()), 401, 'UNAUTHORIZED');
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a missing email', { email: undefined }, 'email'],
      ['an empty email', { email: '' }, 'email'],
      ['an email that is not one', { email: 'not-an-email' }, 'email'],
      ['an email of the wrong type', { email: 5 }, 'email'],
      ['a null email', { email: null }, 'email'],
      [
        'an email over 254 characters',
        { email: `${'a'.repeat(60)}@${Array(4).fill('b'.repeat(60)).join('.')}.test` },
        'email',
      ],
      ['a missing password', { password: undefined }, 'password'],
      ['an empty password', { password: '' }, 'password'],
      ['a 7-character password', { password: 'Pw3$567' }, 'password'],
      ['a 129-character password', { password: 'Pw3$'.repeat(32) + 'x' }, 'password'],
      ['a numeric password', { password: 12345678 }, 'password'],
      ['an empty name', { name: '' }, 'name'],
      ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
      ['a name of the wrong type', { name: 5 }, 'name'],
      ['a name with a NUL character', { name: 'Null\u0000Byte' }, 'name'],
      ['an e-mail with half of a surrogate pair', { email: 'a\ud800@example.com' }, 'email'],
      ['a name with half of a surrogate pair', { name: 'Half \udfff' }, 'name'],
      ['a numeric role', { role: 5 }, 'role'],
      ['an unknown role', { role: 'superuser' }, 'role'],
      ['a role in the wrong case', { role: 'ADMIN' }, 'role'],
      ['an unknown field', { is_admin: true }, 'is_admin'],
      ['a disabled field (not settable on create)', { disabled: true }, 'disabled'],
      ['a password_hash field', { password_hash: '$argon2id$v=19$x' }, 'password_hash'],
    ])('rejects %s with 400 VALIDATION_ERROR naming the field', async (_, override, field) => {
      const attrs = { ...userAttrs(), ...override };
      const res = await call('post', '', t.adminToken, attrs);
      expectFieldError(res, field);
      if (typeof attrs.email === 'string') {
        const rows = await sql('SELECT id FROM users WHERE email = $1', [
          attrs.email.toLowerCase(),
        ]);
        expect(rows).toHaveLength(0);
      }
    });

    it('rejects a body that is not an object with 400 VALIDATION_ERROR', async () => {
      expectError(await call('post', '', t.adminToken, [userAttrs()]), 400, 'VALIDATION_ERROR');
    });

    it('accepts the limits: an 8- and a 128-character password, a 100-character name', async () => {
      for (const password of ['Pw3$5678', 'Pw3$'.repeat(32)]) {
        const attrs = userAttrs({ password, name: 'n'.repeat(100) });
        const res = await call('post', '', t.adminToken, attrs);
        expect(res.status).toBe(201);
        expect(res.body.name).toBe('n'.repeat(100));
        expect((await login(attrs.email, password)).status).toBe(200);
      }
    });
  });

  describe('GET /users', () => {
    it('lists users for an admin as a page, newest first by default', async () => {
      const newest = await createUser(t);
      const res = await call('get', '', t.adminToken);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'limit', 'offset', 'total']);
      expect(res.body).toMatchObject({ limit: 50, offset: 0 });
      const [{ n }] = await sql<{ n: string | number }>('SELECT COUNT(*) AS n FROM users');
      expect(res.body.total).toBe(Number(n));
      expect(res.body.data[0].id).toBe(newest.id);
      for (const user of res.body.data) expectUser(user);
    });

    it('pages with limit, offset and order, keeping total', async () => {
      for (let i = 0; i < 3; i += 1) await createUser(t);
      const all = await allUsers();
      const total = all.length;
      expect(total).toBeGreaterThanOrEqual(5);

      const first = await call('get', '?limit=2&offset=0&order=asc', t.adminToken);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total, limit: 2, offset: 0 });
      expect(first.body.data.map((u: { id: string }) => u.id)).toEqual([all[0].id, all[1].id]);

      const second = await call('get', '?limit=2&offset=2&order=asc', t.adminToken);
      expect(second.body).toMatchObject({ total, limit: 2, offset: 2 });
      expect(second.body.data.map((u: { id: string }) => u.id)).toEqual([all[2].id, all[3].id]);

      const desc = await allUsers('desc');
      expect(desc.map((u) => u.id)).toEqual(all.map((u) => u.id).reverse());

      const last = await call('get', `?limit=1&offset=${total - 1}&order=desc`, t.adminToken);
      expect(last.body.data.map((u: { id: string }) => u.id)).toEqual([all[0].id]);

      const beyond = await call('get', `?offset=${total + 10}`, t.adminToken);
      expect(beyond.status).toBe(200);
      expect(beyond.body).toMatchObject({ data: [], total, offset: total + 10 });

      const limits = await call('get', '?limit=1&offset=0', t.adminToken);
      expect(limits.body.data).toHaveLength(1);
      const hundred = await call('get', '?limit=100', t.adminToken);
      expect(hundred.status).toBe(200);
      expect(hundred.body.limit).toBe(100);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=abc', 'offset'],
      ['order=sideways', 'order'],
    ])('rejects ?%s with 400 VALIDATION_ERROR, never clamping', async (query, field) => {
      expectFieldError(await call('get', `?${query}`, t.adminToken), field);
    });

    it.each(['offset=1e20', 'offset=99999999999999999999'])(
      'answers ?%s with an empty page or a 400, never a 500',
      async (query) => {
        const res = await call('get', `?${query}`, t.adminToken);
        if (res.status === 200) expect(res.body.data).toEqual([]);
        else expectFieldError(res, 'offset');
      },
    );

    it('ignores unknown query parameters', async () => {
      const res = await call('get', '?limit=1&colour=blue&role=admin', t.adminToken);
      expect(res.status).toBe(200);
      expect(res.body.limit).toBe(1);
      expect(res.body.data).toHaveLength(1);
    });

    it('is admin-only: a plain user gets 403 FORBIDDEN by JWT and by API key', async () => {
      const user = await createUser(t);
      const key = await createApiKey(t, user.token);
      expectError(await call('get', '', user.token), 403, 'FORBIDDEN');
      expectError(await call('get', '?limit=1', key), 403, 'FORBIDDEN');
      expectError(await call('get', ''), 401, 'UNAUTHORIZED');
    });
  });

  describe('GET /users/me and /users/:id', () => {
    let user: TestUser;
    let other: TestUser;
    beforeAll(async () => {
      user = await createUser(t);
      other = await createUser(t);
    });

    it('answers /me with the caller, by JWT and by API key', async () => {
      const byJwt = await call('get', '/me', user.token);
      expect(byJwt.status).toBe(200);
      expectUser(byJwt.body);
      expect(byJwt.body).toMatchObject({ id: user.id, email: user.email, role: 'user' });
      const byKey = await call('get', '/me', await createApiKey(t, user.token));
      expect(byKey.status).toBe(200);
      expect(byKey.body).toEqual(byJwt.body);
      expectError(await call('get', '/me'), 401, 'UNAUTHORIZED');
    });

    it('lets an admin read anyone and a user read themself', async () => {
      const byAdmin = await call('get', `/${user.id}`, t.adminToken);
      expect(byAdmin.status).toBe(200);
      expectUser(byAdmin.body);
      expect(byAdmin.body).toMatchObject({ id: user.id, email: user.email });
      const bySelf = await call('get', `/${user.id}`, user.token);
      expect(bySelf.status).toBe(200);
      expect(bySelf.body).toEqual(byAdmin.body);
    });

    it("answers another user's id with 404 USER_NOT_FOUND for a plain user, never 403", async () => {
      expectError(await call('get', `/${other.id}`, user.token), 404, 'USER_NOT_FOUND');
      expectError(await call('get', `/${adminId}`, user.token), 404, 'USER_NOT_FOUND');
    });

    it('answers an unknown uuid with 404 USER_NOT_FOUND', async () => {
      expectError(await call('get', `/${randomUUID()}`, t.adminToken), 404, 'USER_NOT_FOUND');
      expectError(await call('get', `/${randomUUID()}`, user.token), 404, 'USER_NOT_FOUND');
    });

    it.each(MALFORMED_IDS)('answers the malformed id %p with 404 USER_NOT_FOUND', async (id) => {
      const path = `/${encodeURIComponent(id)}`;
      expectError(await call('get', path, t.adminToken), 404, 'USER_NOT_FOUND');
      expectError(await call('get', path, user.token), 404, 'USER_NOT_FOUND');
    });
  });

  describe('PATCH /users/:id', () => {
    it('lets a user change their own name', async () => {
      const user = await createUser(t);
      const before = await call('get', `/${user.id}`, user.token);
      const res = await call('patch', `/${user.id}`, user.token, { name: 'Renamed Person' });
      expect(res.status).toBe(200);
      expectUser(res.body);
      expect(res.body).toMatchObject({ id: user.id, name: 'Renamed Person', role: 'user' });
      expect(res.body.created_at).toBe(before.body.created_at);
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(
        Date.parse(before.body.updated_at),
      );
      expect((await call('get', '/me', user.token)).body.name).toBe('Renamed Person');
    });

    it('lets a user change their own e-mail, normalised to lower case', async () => {
      const user = await createUser(t);
      const fresh = userAttrs().email;
      const res = await call('patch', `/${user.id}`, user.token, {
        email: fresh.toUpperCase(),
        current_password: user.password,
      });
      expect(res.status).toBe(200);
      expect(res.body.email).toBe(fresh);
      expect((await login(fresh, user.password)).status).toBe(200);
      expectError(await login(user.email, user.password), 401, 'INVALID_CREDENTIALS');
    });

    it('accepts a user re-sending their own e-mail in another case', async () => {
      const user = await createUser(t);
      const res = await call('patch', `/${user.id}`, user.token, {
        email: user.email.toUpperCase(),
      });
      expect(res.status).toBe(200);
      expect(res.body.email).toBe(user.email);
    });

    it('lets a user change their own password: the new one logs in, the old one is 401', async () => {
      const user = await createUser(t);
      const { password } = userAttrs();
      const res = await call('patch', `/${user.id}`, user.token, {
        password,
        current_password: user.password,
      });
      expect(res.status).toBe(200);
      expect((await login(user.email, password)).status).toBe(200);
      expectError(await login(user.email, user.password), 401, 'INVALID_CREDENTIALS');
    });

    it("lets an admin change another user's name, e-mail and password", async () => {
      const user = await createUser(t);
      const attrs = userAttrs();
      const res = await call('patch', `/${user.id}`, t.adminToken, attrs);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: attrs.email, name: attrs.name, role: 'user' });
      expect((await login(attrs.email, attrs.password)).status).toBe(200);
    });

    it('rejects a taken e-mail (in any case) with 409 CONFLICT, for self and admin alike', async () => {
      const user = await createUser(t);
      const other = await createUser(t);
      expectError(
        await call('patch', `/${user.id}`, user.token, {
          email: other.email,
          current_password: user.password,
        }),
        409,
        'CONFLICT',
      );
      expectError(
        await call('patch', `/${user.id}`, t.adminToken, { email: other.email.toUpperCase() }),
        409,
        'CONFLICT',
      );
      await expectUnchanged(user, { email: user.email });
      await expectUnchanged(other, { email: other.email });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an empty email', { email: '' }, 'email'],
      ['an invalid email', { email: 'nobody-at-all' }, 'email'],
      ['a numeric email', { email: 5 }, 'email'],
      ['a null email', { email: null }, 'email'],
      ['an empty password', { password: '' }, 'password'],
      ['a short password', { password: 'Pw3$567' }, 'password'],
      ['a 129-character password', { password: 'Pw3$'.repeat(32) + 'x' }, 'password'],
      ['a null password', { password: null }, 'password'],
      ['an empty name', { name: '' }, 'name'],
      ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
      ['a numeric name', { name: 5 }, 'name'],
      ['a name with a NUL character', { name: 'Null\u0000Byte' }, 'name'],
      ['a numeric role', { role: 5 }, 'role'],
      ['an unknown role', { role: 'root' }, 'role'],
      ['a null role', { role: null }, 'role'],
      ['disabled as a string', { disabled: 'yes' }, 'disabled'],
      ['disabled as a number', { disabled: 1 }, 'disabled'],
      ['a null disabled', { disabled: null }, 'disabled'],
      ['an unknown field', { nickname: 'x' }, 'nickname'],
      ['an id field', { id: randomUUID() }, 'id'],
    ])('rejects %s with 400 VALIDATION_ERROR and changes nothing', async (_, body, field) => {
      const user = await createUser(t);
      const before = await call('get', `/${user.id}`, t.adminToken);
      expectFieldError(await call('patch', `/${user.id}`, t.adminToken, body), field);
      await expectUnchanged(user, before.body);
      expect((await login(user.email, user.password)).status).toBe(200);
    });

    it('treats an empty body as no change', async () => {
      const user = await createUser(t);
      const before = await call('get', `/${user.id}`, t.adminToken);
      const res = await call('patch', `/${user.id}`, user.token, {});
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        email: before.body.email,
        name: before.body.name,
        role: 'user',
        disabled: false,
      });
    });

    it.each<[string, Record<string, unknown>]>([
      ['role admin', { role: 'admin' }],
      ['their current role', { role: 'user' }],
      ['disabled: false (their current value)', { disabled: false }],
      ['disabled: true', { disabled: true }],
      ['a name together with role', { name: 'Sneaky', role: 'user' }],
      ['an e-mail together with disabled', { email: userAttrs().email, disabled: false }],
    ])(
      'refuses a plain user sending %s with 403 FORBIDDEN and changes nothing',
      async (_, body) => {
        const user = await createUser(t);
        const before = await call('get', `/${user.id}`, t.adminToken);
        expectError(await call('patch', `/${user.id}`, user.token, body), 403, 'FORBIDDEN');
        await expectUnchanged(user, before.body);
      },
    );

    it('stops every role escalation attempt by a plain user', async () => {
      const user = await createUser(t);
      const key = await createApiKey(t, user.token);
      expectError(await call('patch', `/${user.id}`, key, { role: 'admin' }), 403, 'FORBIDDEN');
      expectError(
        await call('patch', `/${adminId}`, user.token, { role: 'user' }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await call('patch', `/${adminId}`, user.token, { password: 'Hijacked-Password-1' }),
        404,
        'USER_NOT_FOUND',
      );
      await expectUnchanged(user, { role: 'user', disabled: false });
      expect((await call('get', '/me', t.adminToken)).body).toMatchObject({
        role: 'admin',
        disabled: false,
      });
      expectError(await call('get', '', user.token), 403, 'FORBIDDEN');
    });

    it('answers a plain user patching another user with 404 USER_NOT_FOUND and changes nothing', async () => {
      const user = await createUser(t);
      const other = await createUser(t);
      const before = await call('get', `/${other.id}`, t.adminToken);
      expectError(
        await call('patch', `/${other.id}`, user.token, { name: 'Taken Over' }),
        404,
        'USER_NOT_FOUND',
      );
      await expectUnchanged(other, before.body);
    });

    it('answers unknown and malformed ids with 404 USER_NOT_FOUND', async () => {
      const user = await createUser(t);
      for (const token of [t.adminToken, user.token]) {
        expectError(
          await call('patch', `/${randomUUID()}`, token, { name: 'x' }),
          404,
          'USER_NOT_FOUND',
        );
        for (const id of MALFORMED_IDS) {
          expectError(
            await call('patch', `/${encodeURIComponent(id)}`, token, { name: 'x' }),
            404,
            'USER_NOT_FOUND',
          );
        }
      }
    });

    it('lets an admin promote and demote a user, effective at once on their token', async () => {
      const user = await createUser(t);
      const promoted = await call('patch', `/${user.id}`, t.adminToken, { role: 'admin' });
      expect(promoted.status).toBe(200);
      expect(promoted.body.role).toBe('admin');
      // A role change revokes the JWTs issued before it; a new login carries the new role.
      expectError(await call('get', '?limit=1', user.token), 401, 'INVALID_TOKEN');
      const asAdmin = (await login(user.email, user.password)).body.access_token;
      expect((await call('get', '?limit=1', asAdmin)).status).toBe(200);

      const demoted = await call('patch', `/${user.id}`, t.adminToken, { role: 'user' });
      expect(demoted.status).toBe(200);
      expect(demoted.body.role).toBe('user');
      expectError(await call('get', '?limit=1', asAdmin), 401, 'INVALID_TOKEN');
      const asUser = (await login(user.email, user.password)).body.access_token;
      expectError(await call('get', '?limit=1', asUser), 403, 'FORBIDDEN');
    });
  });

  describe('disabling', () => {
    it("stops a disabled user's JWT, API key and login at once; re-enabling restores keys and login, not old JWTs", async () => {
      const user = await createUser(t);
      const key = await createApiKey(t, user.token);
      expect((await call('get', '/me', key)).status).toBe(200);

      const disabled = await call('patch', `/${user.id}`, t.adminToken, { disabled: true });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled).toBe(true);

      expectError(await call('get', '/me', user.token), 403, 'FORBIDDEN');
      expectError(await call('get', '/me', key), 403, 'FORBIDDEN');
      expectError(
        await call('patch', `/${user.id}`, user.token, { name: 'Still here' }),
        403,
        'FORBIDDEN',
      );
      expectError(await login(user.email, user.password), 403, 'FORBIDDEN');
      expectError(await login(user.email, 'Wrong-Password-1'), 401, 'INVALID_CREDENTIALS');
      await expectUnchanged(user, { disabled: true, role: 'user' });

      const enabled = await call('patch', `/${user.id}`, t.adminToken, { disabled: false });
      expect(enabled.status).toBe(200);
      expect(enabled.body.disabled).toBe(false);
      // The disable revoked the JWTs issued before it; API keys stay until revoked.
      expectError(await call('get', '/me', user.token), 401, 'INVALID_TOKEN');
      expect((await call('get', '/me', key)).status).toBe(200);
      const relogin = await login(user.email, user.password);
      expect(relogin.status).toBe(200);
      expect((await call('get', '/me', relogin.body.access_token)).status).toBe(200);
    });
  });

  describe('the last active admin', () => {
    beforeEach(() => onlyBootstrapAdmin());

    it('cannot be demoted, disabled or deleted (409 CONFLICT), and nothing changes', async () => {
      expectError(
        await call('patch', `/${adminId}`, t.adminToken, { role: 'user' }),
        409,
        'CONFLICT',
      );
      expectError(
        await call('patch', `/${adminId}`, t.adminToken, { disabled: true }),
        409,
        'CONFLICT',
      );
      expectError(
        await call('patch', `/${adminId}`, t.adminToken, { name: 'Renamed', disabled: true }),
        409,
        'CONFLICT',
      );
      expectError(await call('delete', `/${adminId}`, t.adminToken), 409, 'CONFLICT');
      const me = await call('get', '/me', t.adminToken);
      expect(me.body).toMatchObject({ id: adminId, role: 'admin', disabled: false });
      expect(me.body.name).not.toBe('Renamed');
    });

    it('may still be renamed, and re-sending role admin is no demotion', async () => {
      const before = await call('get', '/me', t.adminToken);
      const res = await call('patch', `/${adminId}`, t.adminToken, {
        name: before.body.name ?? 'Admin',
        role: 'admin',
        disabled: false,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ role: 'admin', disabled: false });
    });

    it('is not saved by a disabled second admin', async () => {
      const other = await createUser(t, 'admin');
      expect((await call('patch', `/${other.id}`, t.adminToken, { disabled: true })).status).toBe(
        200,
      );
      expectError(
        await call('patch', `/${adminId}`, t.adminToken, { role: 'user' }),
        409,
        'CONFLICT',
      );
      expectError(await call('delete', `/${adminId}`, t.adminToken), 409, 'CONFLICT');
      expect((await call('delete', `/${other.id}`, t.adminToken)).status).toBe(204);
    });

    it('can be demoted, disabled and deleted while a second admin is active', async () => {
      const second = await createUser(t, 'admin');

      const demoted = await call('patch', `/${adminId}`, second.token, { role: 'user' });
      expect(demoted.status).toBe(200);
      expect(demoted.body.role).toBe('user');
      expectError(await call('get', '?limit=1', t.adminToken), 401, 'INVALID_TOKEN');
      await renewAdminToken();
      expectError(await call('get', '?limit=1', t.adminToken), 403, 'FORBIDDEN');
      // Now `second` is the last active admin.
      expectError(
        await call('patch', `/${second.id}`, second.token, { role: 'user' }),
        409,
        'CONFLICT',
      );
      expect((await call('patch', `/${adminId}`, second.token, { role: 'admin' })).body.role).toBe(
        'admin',
      );
      await renewAdminToken();

      const disabled = await call('patch', `/${adminId}`, second.token, { disabled: true });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled).toBe(true);
      expectError(await call('get', '/me', t.adminToken), 403, 'FORBIDDEN');
      expectError(
        await call('patch', `/${second.id}`, second.token, { disabled: true }),
        409,
        'CONFLICT',
      );
      expectError(await call('delete', `/${second.id}`, second.token), 409, 'CONFLICT');
      expect(
        (await call('patch', `/${adminId}`, second.token, { disabled: false })).body.disabled,
      ).toBe(false);
      expectError(await call('get', '/me', t.adminToken), 401, 'INVALID_TOKEN');
      await renewAdminToken();
      expect((await call('get', '/me', t.adminToken)).status).toBe(200);

      // With the bootstrap admin active again, `second` can go.
      expect((await call('delete', `/${second.id}`, second.token)).status).toBe(204);
      expectError(await call('get', '/me', second.token), 401, 'INVALID_TOKEN');
    });

    it('keeps one active admin when two admins demote themselves at the same moment', async () => {
      for (let round = 0; round < 5; round += 1) {
        await onlyBootstrapAdmin();
        const second = await createUser(t, 'admin');
        try {
          const results = await Promise.all([
            call('patch', `/${adminId}`, t.adminToken, { role: 'user' }),
            call('patch', `/${second.id}`, second.token, { role: 'user' }),
          ]);
          expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
          const loser = results.find((r) => r.status === 409)!;
          expectError(loser, 409, 'CONFLICT');
          const [{ n }] = await sql<{ n: string | number }>(
            "SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND id IN ($1, $2)",
            [adminId, second.id],
          );
          expect(Number(n)).toBe(1);
        } finally {
          // Whoever won, the bootstrap admin is needed by the rest of the file.
          await sql("UPDATE users SET role = 'admin' WHERE id = $1", [adminId]);
          await renewAdminToken();
        }
      }
    });
  });

  describe('DELETE /users/:id', () => {
    it('is admin-only: a plain user gets 403 FORBIDDEN, even for themself', async () => {
      const user = await createUser(t);
      const other = await createUser(t);
      expectError(await call('delete', `/${other.id}`, user.token), 403, 'FORBIDDEN');
      expectError(await call('delete', `/${user.id}`, user.token), 403, 'FORBIDDEN');
      expectError(
        await call('delete', `/${user.id}`, await createApiKey(t, user.token)),
        403,
        'FORBIDDEN',
      );
      expect((await call('get', `/${other.id}`, t.adminToken)).status).toBe(200);
      expect((await call('get', `/${user.id}`, t.adminToken)).status).toBe(200);
    });

    it('removes the user and their keys: JWT 401 INVALID_TOKEN, keys 401 INVALID_API_KEY', async () => {
      const user = await createUser(t);
      const keys = [await createApiKey(t, user.token, 'one'), await createApiKey(t, user.token)];
      expect(await sql('SELECT id FROM api_keys WHERE user_id = $1', [user.id])).toHaveLength(2);

      const res = await call('delete', `/${user.id}`, t.adminToken);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      expectError(await call('get', `/${user.id}`, t.adminToken), 404, 'USER_NOT_FOUND');
      expectError(await call('get', '/me', user.token), 401, 'INVALID_TOKEN');
      for (const key of keys) expectError(await call('get', '/me', key), 401, 'INVALID_API_KEY');
      expectError(await login(user.email, user.password), 401, 'INVALID_CREDENTIALS');
      expect(await sql('SELECT id FROM api_keys WHERE user_id = $1', [user.id])).toHaveLength(0);
      expect(await sql('SELECT id FROM users WHERE id = $1', [user.id])).toHaveLength(0);
      expect((await allUsers()).map((u) => u.id)).not.toContain(user.id);
    });

    it('frees the e-mail for a new user', async () => {
      const user = await createUser(t);
      expect((await call('delete', `/${user.id}`, t.adminToken)).status).toBe(204);
      const again = await call('post', '', t.adminToken, userAttrs({ email: user.email }));
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(user.id);
    });

    it('answers a deleted, unknown or malformed id with 404 USER_NOT_FOUND', async () => {
      const user = await createUser(t);
      expect((await call('delete', `/${user.id}`, t.adminToken)).status).toBe(204);
      expectError(await call('delete', `/${user.id}`, t.adminToken), 404, 'USER_NOT_FOUND');
      expectError(await call('delete', `/${randomUUID()}`, t.adminToken), 404, 'USER_NOT_FOUND');
      for (const id of MALFORMED_IDS) {
        expectError(
          await call('delete', `/${encodeURIComponent(id)}`, t.adminToken),
          404,
          'USER_NOT_FOUND',
        );
      }
    });
  });
});

describe('changing one’s own e-mail or password (SPEC §4)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const patch = (token: string, id: string, body: Record<string, unknown>) =>
    t.http().patch(`${USERS}/${id}`).set('Authorization', `Bearer ${token}`).send(body);
  const login = (email: string, password: string) =>
    t.http().post('/api/v1/auth/login').send({ email, password });

  it('needs current_password: missing is 400 on that field, wrong is 403, and nothing changes', async () => {
    const user = await createUser(t);
    const key = await createApiKey(t, user.token);
    const { email, password } = userAttrs();
    // A stolen credential (here the API key, as well as the JWT) cannot take the account over.
    for (const credential of [key, user.token]) {
      for (const body of [{ password }, { email }, { email, password }]) {
        expectFieldError(await patch(credential, user.id, body), 'current_password');
        expectError(
          await patch(credential, user.id, { ...body, current_password: 'Wrong-Password-1' }),
          403,
          'FORBIDDEN',
        );
      }
    }
    expect((await login(user.email, user.password)).status).toBe(200);
    expectError(await login(email, password), 401, 'INVALID_CREDENTIALS');
    expect((await patch(user.token, user.id, { name: 'No password needed' })).status).toBe(200);

    const res = await patch(key, user.id, { email, password, current_password: user.password });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(email);
    expect((await login(email, password)).status).toBe(200);
  });

  it('applies to an admin changing their own, not to an admin changing another user', async () => {
    const admin = await createUser(t, 'admin');
    const user = await createUser(t);
    expectFieldError(
      await patch(admin.token, admin.id, { password: userAttrs().password }),
      'current_password',
    );
    const { email, password } = userAttrs();
    expect((await patch(admin.token, user.id, { email, password })).status).toBe(200);
    expect((await login(email, password)).status).toBe(200);
  });
});

describe('guessing current_password', () => {
  it('is held to RATE_LIMIT_LOGIN_PER_MINUTE per user, counted before the check', async () => {
    const t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
    try {
      const user = await createUser(t);
      const key = await createApiKey(t, user.token);
      const patch = (body: Record<string, unknown>) =>
        t.http().patch(`${USERS}/${user.id}`).set('Authorization', `Bearer ${key}`).send(body);
      // A right one is refunded.
      expect(
        (await patch({ password: 'Changed-Pass-01', current_password: user.password })).status,
      ).toBe(200);
      const guesses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          patch({ password: 'Hijacked-Pass-1', current_password: `guess-${i}-password` }),
        ),
      );
      const checked = guesses.filter((r) => r.status === 403);
      expect(checked.length).toBeLessThanOrEqual(3);
      expect(guesses.filter((r) => r.status === 429)).toHaveLength(10 - checked.length);
      const blocked = await patch({
        password: 'Hijacked-Pass-1',
        current_password: 'Changed-Pass-01',
      });
      expectError(blocked, 429, 'RATE_LIMIT');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const login = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'Changed-Pass-01' });
      expect(login.status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('revoking JWTs with the token version (SPEC §4)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp();
    // A second replica on the same database and Redis.
    b = await startApp(a.env, { reset: false });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const me = (app: TestApp, token: string) =>
    app.http().get(`${USERS}/me`).set('Authorization', `Bearer ${token}`);
  const patch = (token: string, id: string, body: Record<string, unknown>) =>
    a.http().patch(`${USERS}/${id}`).set('Authorization', `Bearer ${token}`).send(body);
  const loginOn = async (app: TestApp, email: string, password: string): Promise<string> => {
    const res = await app.http().post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return res.body.access_token;
  };

  /** Two JWTs of the user, issued within the same second, both served (and cached) by replica b. */
  async function servedTokens(user: TestUser): Promise<string[]> {
    const tokens = [user.token, await loginOn(b, user.email, user.password)];
    for (const token of tokens) expect((await me(b, token)).status).toBe(200);
    return tokens;
  }

  it.each<[string, (u: TestUser, admin: string) => Record<string, unknown>, string]>([
    [
      'a password change by the user',
      (u) => ({ password: 'Brand-New-Pass-1', current_password: u.password }),
      'self',
    ],
    [
      'an e-mail change by the user',
      (u) => ({ email: `new-${u.email}`, current_password: u.password }),
      'self',
    ],
    ['a password change by an admin', () => ({ password: 'Brand-New-Pass-1' }), 'admin'],
    ['a role change', () => ({ role: 'admin' }), 'admin'],
  ])(
    '%s revokes every earlier JWT on the other replica at once; keys and new logins work',
    async (_, body, by) => {
      const user = await createUser(a);
      const key = await createApiKey(a, user.token);
      const tokens = await servedTokens(user);
      const change = body(user, a.adminToken);
      const res = await patch(by === 'self' ? user.token : a.adminToken, user.id, change);
      expect(res.status).toBe(200);

      for (const token of tokens) expectError(await me(b, token), 401, 'INVALID_TOKEN');
      for (const token of tokens) expectError(await me(a, token), 401, 'INVALID_TOKEN');
      expect((await me(b, key)).status).toBe(200);
      const fresh = await loginOn(
        b,
        (change.email as string | undefined) ?? user.email,
        (change.password as string | undefined) ?? user.password,
      );
      expect((await me(b, fresh)).status).toBe(200);
      expect((await me(a, fresh)).status).toBe(200);
    },
  );

  it('a disable answers 403 while it lasts, and earlier JWTs stay revoked after re-enabling', async () => {
    const user = await createUser(a);
    const key = await createApiKey(a, user.token);
    const tokens = await servedTokens(user);
    expect((await patch(a.adminToken, user.id, { disabled: true })).status).toBe(200);
    for (const credential of [...tokens, key]) {
      expectError(await me(b, credential), 403, 'FORBIDDEN');
    }
    expect((await patch(a.adminToken, user.id, { disabled: false })).status).toBe(200);
    for (const token of tokens) expectError(await me(b, token), 401, 'INVALID_TOKEN');
    expect((await me(b, key)).status).toBe(200);
    expect((await me(b, await loginOn(a, user.email, user.password))).status).toBe(200);
  });

  it('a name change, re-sending the same e-mail or role, or re-enabling revokes nothing', async () => {
    const user = await createUser(a);
    const tokens = await servedTokens(user);
    for (const body of [
      { name: 'Renamed' },
      { email: user.email.toUpperCase(), current_password: user.password },
    ]) {
      expect((await patch(user.token, user.id, body)).status).toBe(200);
    }
    for (const body of [{ role: 'user' }, { disabled: false }]) {
      expect((await patch(a.adminToken, user.id, body)).status).toBe(200);
    }
    for (const token of tokens) expect((await me(b, token)).status).toBe(200);
  });
});
