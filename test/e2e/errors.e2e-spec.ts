import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

import { createUser, TestUser } from '../factories/users.factory';
import { startTestApp, TestApp } from '../support/test-app';

function expectEnvelope(body: unknown, code: string): void {
  expect(body).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Object) },
  });
}

describe('error contract (SPEC §3)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT: '64kb' });
    user = await createUser(t);
  });
  afterAll(() => t.close());

  describe('unknown routes', () => {
    it.each([
      ['GET', '/api/v1/nope'],
      ['POST', '/api/v1/users/me/extra'],
      ['DELETE', '/api/v1'],
      ['GET', '/'],
      ['PUT', '/api/v1/users'],
    ])('%s %s is a 404 NOT_FOUND without credentials', async (method, path) => {
      const res = await t.http()[method.toLowerCase() as 'get'](path);
      expect(res.status).toBe(404);
      expectEnvelope(res.body, 'NOT_FOUND');
    });

    it('is a 404 NOT_FOUND with valid credentials too', async () => {
      const res = await t.http().get('/api/v1/nope').set('Authorization', `Bearer ${user.token}`);
      expect(res.status).toBe(404);
      expectEnvelope(res.body, 'NOT_FOUND');
    });

    it('is a 404 even when the body is broken', async () => {
      const res = await t
        .http()
        .post('/api/v1/nope')
        .set('Content-Type', 'application/json')
        .send('{"broken":');
      expect(res.status).toBe(404);
      expectEnvelope(res.body, 'NOT_FOUND');
    });
  });

  describe('request bodies', () => {
    it('answers malformed JSON with 400 INVALID_JSON and changes nothing', async () => {
      const before = await t.db.query('SELECT COUNT(*) AS n FROM users');
      const res = await t
        .http()
        .post('/api/v1/users')
        .set('Authorization', `Bearer ${t.adminToken}`)
        .set('Content-Type', 'application/json')
        .send('{"email": "x@example.test", "password": ');
      expect(res.status).toBe(400);
      expectEnvelope(res.body, 'INVALID_JSON');
      const after = await t.db.query('SELECT COUNT(*) AS n FROM users');
      expect(Number(after[0].n)).toBe(Number(before[0].n));
    });

    it('answers a body that is not application/json with 415', async () => {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'text/plain')
        .send('email=a&password=b');
      expect(res.status).toBe(415);
      expectEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers a form-encoded body with 415', async () => {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .type('form')
        .send({ email: 'a@example.test', password: 'whatever1' });
      expect(res.status).toBe(415);
      expectEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers a body over BODY_LIMIT with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t
        .http()
        .post('/api/v1/api-keys')
        .set('Authorization', `Bearer ${user.token}`)
        .send({ name: 'x'.repeat(100 * 1024) });
      expect(res.status).toBe(413);
      expectEnvelope(res.body, 'PAYLOAD_TOO_LARGE');
    });

    it.each(['gzip', 'deflate', 'br'])(
      'answers a %s body that does not decompress with 400 VALIDATION_ERROR, creating nothing',
      async (encoding) => {
        for (const path of ['/api/v1/api-keys', '/v1/chat/completions']) {
          const res = await t
            .http()
            .post(path)
            .set('Authorization', `Bearer ${user.token}`)
            .set('Content-Type', 'application/json')
            .set('Content-Encoding', encoding)
            .send('{"name":"not compressed"}');
          expect(res.status).toBe(400);
          if (path.startsWith('/v1')) {
            expect(res.body.error).toMatchObject({ type: 'invalid_request_error' });
          } else {
            expectEnvelope(res.body, 'VALIDATION_ERROR');
            expect(res.body.error.details.fields).toEqual([
              { field: 'body', message: expect.stringMatching(/does not decompress/) },
            ]);
          }
        }
        const keys = await t
          .http()
          .get('/api/v1/api-keys')
          .set('Authorization', `Bearer ${user.token}`);
        expect(keys.body.total).toBe(0);
      },
    );

    it('reads a gzip body that decompresses', async () => {
      // Its own user: other tests count this user's sessions. fetch, as supertest re-encodes a
      // Buffer it is given as JSON.
      const owner = await createUser(t);
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${owner.token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body: gzipSync('{"name":"zipped"}'),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { name: string }).name).toBe('zipped');
    });

    it('refuses body fields sent to a route that takes no body, changing nothing', async () => {
      const owner = await createUser(t);
      const auth = `Bearer ${owner.token}`;
      const session = await t
        .http()
        .post('/api/v1/sessions')
        .set('Authorization', auth)
        .send({ name: 'kept' })
        .expect(201);
      const refused = await t
        .http()
        .delete(`/api/v1/sessions/${session.body.id}`)
        .set('Authorization', auth)
        .send({ force: true });
      expect(refused.status).toBe(400);
      expectEnvelope(refused.body, 'VALIDATION_ERROR');
      expect(refused.body.error.details.fields).toEqual([
        { field: 'force', message: 'property force should not exist' },
      ]);
      await t
        .http()
        .get(`/api/v1/sessions/${session.body.id}`)
        .set('Authorization', auth)
        .expect(200);
      // An empty object is no field at all.
      await t
        .http()
        .delete(`/api/v1/sessions/${session.body.id}`)
        .set('Authorization', auth)
        .send({})
        .expect(204);
    });

    it('answers valid JSON that is not an object with 400 VALIDATION_ERROR saying so', async () => {
      for (const body of ['[1,2]', '"hi"', '42', 'null', 'true']) {
        const res = await t
          .http()
          .post('/api/v1/api-keys')
          .set('Authorization', `Bearer ${user.token}`)
          .set('Content-Type', 'application/json')
          .send(body);
        expect(res.status).toBe(400);
        expectEnvelope(res.body, 'VALIDATION_ERROR');
        expect(res.body.error.message).toBe('The request body is valid JSON but not an object');
        expect(res.body.error.details.fields).toEqual([
          { field: 'body', message: expect.stringMatching(/must be a JSON object/) },
        ]);
      }
      const keys = await t
        .http()
        .get('/api/v1/api-keys')
        .set('Authorization', `Bearer ${user.token}`);
      expect(keys.body.total).toBe(0);
    });

    it('refuses a body nested more than 64 levels deep with 400 naming the field, never a 500', async () => {
      const deep = '['.repeat(20000) + ']'.repeat(20000);
      const chat = await t
        .http()
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${user.token}`)
        .set('Content-Type', 'application/json')
        .send(`{"message":"hi","x":${deep}}`);
      expect(chat.status).toBe(400);
      expectEnvelope(chat.body, 'VALIDATION_ERROR');
      expect(chat.body.error.details.fields).toEqual([
        {
          field: expect.stringMatching(/^x(\.0)+$/),
          message: expect.stringMatching(/nested more than 64 levels/),
        },
      ]);

      // A tool's JSON Schema is free-form: 20 levels of it pass, 20,000 are refused in OpenAI's shape.
      const schema = (levels: number): object =>
        levels === 0
          ? { type: 'string' }
          : { type: 'object', properties: { a: schema(levels - 1) } };
      const call = (parameters: string) =>
        t
          .http()
          .post('/v1/chat/completions')
          .set('Authorization', `Bearer ${user.token}`)
          .set('Content-Type', 'application/json')
          .send(
            `{"model":"echo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${parameters}}}]}`,
          );
      expect((await call(JSON.stringify(schema(20)))).status).toBe(200);
      const refused = await call(`{"a":${deep}}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        type: 'invalid_request_error',
        param: expect.stringMatching(/^tools\.0\.function\.parameters\.a/),
      });
    });

    it('gives one message per field: the first constraint that failed', async () => {
      const res = await t
        .http()
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${user.token}`)
        .send({ message: 123, temperature: 'hot', model: '' });
      expect(res.status).toBe(400);
      expect(res.body.error.details.fields).toEqual([
        { field: 'message', message: 'message must be a string' },
        { field: 'model', message: expect.stringMatching(/^model must be longer than/) },
        { field: 'temperature', message: expect.stringMatching(/^temperature must be a number/) },
      ]);
    });

    it.each([
      ['POST', '/api/v1/chat', { message: '   ' }, 'message'],
      ['POST', '/api/v1/chat', { message: '\n\t ' }, 'message'],
      ['POST', '/api/v1/sessions', { name: '  ' }, 'name'],
      ['POST', '/api/v1/api-keys', { name: ' ' }, 'name'],
    ])('refuses a whitespace-only required string: %s %s', async (method, path, body, field) => {
      const res = await t
        .http()
        [method.toLowerCase() as 'post'](path)
        .set('Authorization', `Bearer ${user.token}`)
        .send(body);
      expect(res.status).toBe(400);
      expectEnvelope(res.body, 'VALIDATION_ERROR');
      expect(res.body.error.details.fields).toEqual([
        { field, message: `${field} must not be empty or only whitespace` },
      ]);
      const sessions = await t
        .http()
        .get('/api/v1/sessions')
        .set('Authorization', `Bearer ${user.token}`);
      expect(sessions.body.total).toBe(0);
    });

    it('refuses whitespace-only user and skill names and scripts (admin routes)', async () => {
      const admin = (path: string, body: object, method: 'post' | 'patch' = 'post') =>
        t.http()[method](path).set('Authorization', `Bearer ${t.adminToken}`).send(body);
      const before = await t.db.query('SELECT COUNT(*) AS n FROM users');
      for (const [res, field] of [
        [
          await admin('/api/v1/users', {
            email: 'blank@example.test',
            password: 'password-1',
            name: ' ',
          }),
          'name',
        ],
        [await admin(`/api/v1/users/${user.id}`, { name: '\t' }, 'patch'), 'name'],
        [await admin('/api/v1/skills', { name: 'blank', script: '  ' }), 'script'],
      ] as const) {
        expect(res.status).toBe(400);
        expect(res.body.error.details.fields).toEqual([
          { field, message: `${field} must not be empty or only whitespace` },
        ]);
      }
      const after = await t.db.query('SELECT COUNT(*) AS n FROM users');
      expect(Number(after[0].n)).toBe(Number(before[0].n));
      const skills = await admin('/api/v1/skills', {}).then(() =>
        t.http().get('/api/v1/skills').set('Authorization', `Bearer ${t.adminToken}`),
      );
      expect(skills.body.total).toBe(0);
    });

    it('lists every bad field in details.fields', async () => {
      const res = await t
        .http()
        .post('/api/v1/users')
        .set('Authorization', `Bearer ${t.adminToken}`)
        .send({ email: 'not-an-email', password: 'short', role: 'root', color: 'red' });
      expect(res.status).toBe(400);
      expectEnvelope(res.body, 'VALIDATION_ERROR');
      const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'password', 'role', 'color']));
      for (const f of res.body.error.details.fields) expect(typeof f.message).toBe('string');
    });

    it('treats an empty body as {} and reports the missing fields', async () => {
      const res = await t.http().post('/api/v1/auth/login');
      expect(res.status).toBe(400);
      expectEnvelope(res.body, 'VALIDATION_ERROR');
      const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'password']));
    });
  });

  describe('list queries', () => {
    it.each([
      ['limit=0', 'limit must not be less than 1'],
      ['limit=101', 'limit must not be greater than 100'],
      ['limit=abc', 'limit must be an integer number'],
      ['offset=-1', 'offset must not be less than 0'],
      ['offset=1.5', 'offset must be an integer number'],
      ['limit=0x10', 'limit must be an integer number'],
      ['limit=1e1', 'limit must be an integer number'],
      ['offset=%2B5', 'offset must be an integer number'],
      ['limit=%205', 'limit must be an integer number'],
      ['limit=', 'limit must be an integer number'],
      ['order=sideways', 'order must be one of the following values: asc, desc'],
    ])('?%s is a 400 VALIDATION_ERROR with one message', async (qs, message) => {
      const res = await t
        .http()
        .get(`/api/v1/api-keys?${qs}`)
        .set('Authorization', `Bearer ${user.token}`);
      expect(res.status).toBe(400);
      expectEnvelope(res.body, 'VALIDATION_ERROR');
      expect(res.body.error.details.fields).toEqual([{ field: qs.split('=')[0], message }]);
    });

    it('ignores unknown query parameters and applies the defaults', async () => {
      const res = await t
        .http()
        .get('/api/v1/api-keys?colour=blue')
        .set('Authorization', `Bearer ${user.token}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [], total: 0, limit: 50, offset: 0 });
    });
  });

  /** A 200, a 404, a 401 and a 400. */
  const everyKindOfAnswer = async () => [
    await t.http().get('/health/live'),
    await t.http().get('/api/v1/nope'),
    await t.http().get('/api/v1/users/me'),
    await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{'),
  ];

  describe('security headers', () => {
    it('are on every response, errors included', async () => {
      for (const res of await everyKindOfAnswer()) {
        expect(res.headers).toMatchObject({
          'content-security-policy': expect.stringContaining("default-src 'self'"),
          'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'referrer-policy': 'no-referrer',
        });
        expect(res.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
    });
  });

  describe('X-Request-Id', () => {
    it('is generated on every response, errors included', async () => {
      for (const res of await everyKindOfAnswer()) {
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('is echoed when the caller sends one', async () => {
      const res = await t.http().get('/api/v1/users/me').set('X-Request-Id', 'trace-abc.123');
      expect(res.status).toBe(401);
      expect(res.headers['x-request-id']).toBe('trace-abc.123');
    });

    it('is replaced when the one sent is unsafe', async () => {
      const res = await t.http().get('/health/live').set('X-Request-Id', 'x'.repeat(500));
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('unexpected failures', () => {
    it('answers 500 INTERNAL_ERROR without leaking SQL or a stack', async () => {
      const victim = await createUser(t);
      await t.db.query('ALTER TABLE api_keys RENAME TO api_keys_away');
      try {
        const res = await t
          .http()
          .get('/api/v1/api-keys')
          .set('Authorization', `Bearer ${victim.token}`);
        expect(res.status).toBe(500);
        expectEnvelope(res.body, 'INTERNAL_ERROR');
        const text = JSON.stringify(res.body);
        expect(text).not.toMatch(/api_keys|SELECT|sqlite|postgres|at \w+ \(/i);
      } finally {
        await t.db.query('ALTER TABLE api_keys_away RENAME TO api_keys');
      }
    });
  });
});

describe('backing services down', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => t.close());

  it('keeps /health/live up and turns /health/ready into 503 SERVICE_UNAVAILABLE', async () => {
    expect((await t.http().get('/health/live')).status).toBe(200);
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(503);
    expectEnvelope(res.body, 'SERVICE_UNAVAILABLE');
    expect(res.body.error.details.checks.redis.status).toBe('down');
    expect(res.body.error.details.checks.database.status).toBe('up');
  });

  it('answers a route that needs Redis with 503 SERVICE_UNAVAILABLE', async () => {
    const res = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: 'a@example.test', password: 'whatever1' });
    expect(res.status).toBe(503);
    expectEnvelope(res.body, 'SERVICE_UNAVAILABLE');
  });
});
