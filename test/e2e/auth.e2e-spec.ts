import { createHmac } from 'node:crypto';

import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testEnv } from '../support/test-env';

function signJwt(
  payload: object,
  secret: string,
  header: object = { alg: 'HS256', typ: 'JWT' },
): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc(header)}.${enc(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

async function storedJwtSecret(t: TestApp): Promise<string> {
  const rows = await t.db.query(`SELECT value FROM system_settings WHERE key = 'jwt_secret'`);
  return rows[0].value;
}

describe('auth (SPEC §4)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t.close());

  describe('POST /auth/login', () => {
    it('answers a bearer token with its lifetime', async () => {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
      });
      const me = await t
        .http()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${res.body.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body.email).toBe(ADMIN_EMAIL);
    });

    it('treats the e-mail case-insensitively', async () => {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: `  ${user.email.toUpperCase()} `.trim(), password: user.password });
      expect(res.status).toBe(200);
    });

    it('gives the same 401 INVALID_CREDENTIALS for a wrong password and an unknown e-mail', async () => {
      const wrong = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'not-the-password' });
      const unknown = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: 'nobody@example.test', password: 'not-the-password' });
      for (const res of [wrong, unknown]) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
      }
      expect(wrong.body.error.message).toBe(unknown.body.error.message);
    });

    it('validates the body', async () => {
      const res = await t.http().post('/api/v1/auth/login').send({ email: 'x', password: 5 });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'password']));
    });

    it('refuses half of a surrogate pair with 400, as any invalid e-mail', async () => {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: 'a\ud800@example.com', password: 'whatever-it-is' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.fields).toEqual([
        { field: 'email', message: expect.stringMatching(/valid Unicode/) },
      ]);
    });

    it('answers a disabled user with 403 FORBIDDEN', async () => {
      const victim = await createUser(t);
      await t
        .http()
        .patch(`/api/v1/users/${victim.id}`)
        .set('Authorization', `Bearer ${t.adminToken}`)
        .send({ disabled: true })
        .expect(200);
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: victim.email, password: victim.password });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    });
  });

  describe('the bearer credential', () => {
    it('is required: no header is 401 UNAUTHORIZED', async () => {
      const res = await t.http().get('/api/v1/users/me');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    });

    it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Token abc'])(
      'rejects the header %p with 401 UNAUTHORIZED',
      async (header) => {
        const res = await t.http().get('/api/v1/users/me').set('Authorization', header);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      },
    );

    it('judges a token that is not JWT-shaped as an API key: 401 INVALID_API_KEY', async () => {
      for (const token of ['abc', 'your-api-key', 'a.b', 'a.b.c.d']) {
        const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('INVALID_API_KEY');
      }
    });

    it('rejects malformed JWTs with 401 INVALID_TOKEN', async () => {
      for (const token of ['a.b.c', 'eyJhbGciOiJIUzI1NiJ9.e30.']) {
        const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('INVALID_TOKEN');
      }
    });

    it('rejects a JWT signed with another secret, or with alg none', async () => {
      const forged = signJwt(
        { sub: user.id, exp: Math.floor(Date.now() / 1000) + 600 },
        'x'.repeat(48),
      );
      const none =
        Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url') +
        '.' +
        Buffer.from(JSON.stringify({ sub: user.id })).toString('base64url') +
        '.';
      for (const token of [forged, none]) {
        const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('INVALID_TOKEN');
      }
    });

    it('rejects an expired JWT with 401 INVALID_TOKEN', async () => {
      const secret = await storedJwtSecret(t);
      const now = Math.floor(Date.now() / 1000);
      const valid = signJwt({ sub: user.id, iat: now, exp: now + 60 }, secret);
      const expired = signJwt({ sub: user.id, iat: now - 120, exp: now - 60 }, secret);
      expect(
        (await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${valid}`)).status,
      ).toBe(200);
      const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${expired}`);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_TOKEN');
    });

    it("rejects a deleted user's JWT with 401 INVALID_TOKEN", async () => {
      const victim = await createUser(t);
      await t
        .http()
        .delete(`/api/v1/users/${victim.id}`)
        .set('Authorization', `Bearer ${t.adminToken}`)
        .expect(204);
      const res = await t
        .http()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${victim.token}`);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_TOKEN');
    });

    it('accepts an API key as well as a JWT', async () => {
      const key = await createApiKey(t, user.token);
      const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(user.id);
    });
  });

  describe('roles', () => {
    it('keeps admin routes from plain users, whichever credential they use', async () => {
      const key = await createApiKey(t, user.token);
      for (const credential of [user.token, key]) {
        const res = await t
          .http()
          .get('/api/v1/users')
          .set('Authorization', `Bearer ${credential}`);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
    });
  });
});

describe('the JWT secret', () => {
  it('is generated once, stored in the database and survives a restart', async () => {
    const env = testEnv({ JWT_SECRET: undefined });
    const first = await startApp(env);
    const secret = await storedJwtSecret(first);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const token = first.adminToken;
    await first.close();

    const second = await startApp(env, { reset: false });
    try {
      expect(await storedJwtSecret(second)).toBe(secret);
      const res = await second
        .http()
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('comes from JWT_SECRET when it is set', async () => {
    const secret = 'configured-secret-'.padEnd(40, 'x');
    const t = await startTestApp({ JWT_SECRET: secret });
    try {
      const adminId = (
        await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${t.adminToken}`)
      ).body.id;
      const now = Math.floor(Date.now() / 1000);
      const token = signJwt({ sub: adminId, iat: now, exp: now + 60 }, secret);
      expect(
        (await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`)).status,
      ).toBe(200);
      expect(
        await t.db.query(`SELECT value FROM system_settings WHERE key = 'jwt_secret'`),
      ).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('login rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
  });
  afterAll(() => t.close());

  it('blocks an e-mail after too many failures with 429 RATE_LIMIT and Retry-After', async () => {
    const victim = await createUser(t);
    for (let i = 0; i < 3; i++) {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: victim.email, password: 'wrong-password' });
      expect(res.status).toBe(401);
    }
    const blocked = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: victim.email, password: victim.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMIT');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('does not count successful logins', async () => {
    const other = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await other
          .http()
          .post('/api/v1/auth/login')
          .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
        expect(res.status).toBe(200);
      }
    } finally {
      await other.close();
    }
  });

  it('also blocks a client address that tries many e-mails', async () => {
    const other = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        await other
          .http()
          .post('/api/v1/auth/login')
          .send({ email: `guess${i}@example.test`, password: 'wrong-password' });
      }
      const res = await other
        .http()
        .post('/api/v1/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('RATE_LIMIT');
    } finally {
      await other.close();
    }
  });
});

describe('login limiting is atomic and per address (SPEC §4)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '10', TRUST_PROXY: '1' });
  });
  afterAll(() => t.close());

  const loginFrom = (address: string | undefined, email: string, password: string) => {
    const req = t.http().post('/api/v1/auth/login');
    return (address ? req.set('X-Forwarded-For', address) : req).send({ email, password });
  };

  it('lets at most 10 of 40 parallel wrong passwords reach the check; the right one from another address still works', async () => {
    const victim = await createUser(t);
    const attacker = '203.0.113.5';
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        loginFrom(attacker, victim.email, `wrong-${i}-password`),
      ),
    );
    const checked = guesses.filter((r) => r.status === 401);
    const refused = guesses.filter((r) => r.status === 429);
    expect(checked.length).toBeLessThanOrEqual(10);
    expect(checked.length + refused.length).toBe(40);
    for (const res of checked) expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    for (const res of refused) {
      expect(res.body.error.code).toBe('RATE_LIMIT');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Even the right password is refused from the guessing address…
    expect((await loginFrom(attacker, victim.email, victim.password)).status).toBe(429);
    // …but not from the user's own.
    const own = await loginFrom('198.51.100.7', victim.email, victim.password);
    expect(own.status).toBe(200);
    expect(own.body.access_token).toEqual(expect.any(String));
  });

  it('does not let a client address guess many e-mails past the limit', async () => {
    const address = '203.0.113.9';
    for (let i = 0; i < 10; i++) {
      const res = await loginFrom(address, `guess${i}@example.test`, 'wrong-password');
      expect(res.status).toBe(401);
    }
    expect((await loginFrom(address, 'guess-more@example.test', 'wrong-password')).status).toBe(
      429,
    );
    expect((await loginFrom(address, ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(429);
    expect((await loginFrom('203.0.113.10', ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(200);
  });

  it('refunds an attempt whose password was right', async () => {
    const user = await createUser(t);
    const address = '192.0.2.44';
    for (let i = 0; i < 9; i++) {
      expect((await loginFrom(address, user.email, 'wrong-password')).status).toBe(401);
    }
    for (let i = 0; i < 5; i++) {
      expect((await loginFrom(address, user.email, user.password)).status).toBe(200);
    }
    expect((await loginFrom(address, user.email, 'wrong-password')).status).toBe(401);
    expect((await loginFrom(address, user.email, user.password)).status).toBe(429);
  });
});

describe('TRUST_PROXY', () => {
  async function guessThenLogin(t: TestApp): Promise<number> {
    const user = await createUser(t);
    for (let i = 0; i < 3; i++) {
      await t
        .http()
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '203.0.113.77')
        .send({ email: user.email, password: 'wrong-password' })
        .expect(401);
    }
    const res = await t
      .http()
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '198.51.100.20')
      .send({ email: user.email, password: user.password });
    return res.status;
  }

  it('is off by default: X-Forwarded-For is ignored, so a forged one escapes no limit', async () => {
    const t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
    try {
      expect(await guessThenLogin(t)).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('with TRUST_PROXY=1 takes the client address from X-Forwarded-For', async () => {
    const t = await startTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '3', TRUST_PROXY: '1' });
    try {
      expect(await guessThenLogin(t)).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('accepts a list of proxy CIDRs', async () => {
    const t = await startTestApp({
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
      TRUST_PROXY: '127.0.0.1/8, ::1',
    });
    try {
      expect(await guessThenLogin(t)).toBe(200);
    } finally {
      await t.close();
    }
  });
});
