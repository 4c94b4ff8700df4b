import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { testEnv } from '../support/test-env';

/** Limits use one-minute windows: start a burst early in a window so it cannot straddle two. */
async function freshWindow(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
}

describe('rate limits (SPEC §11)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_CHAT_PER_MINUTE: '2' });
    user = await createUser(t);
  }, 90_000);
  afterAll(() => t.close());

  it('counts each API key on its own and answers 429 RATE_LIMIT with Retry-After past the limit', async () => {
    const key = await createApiKey(t, user.token, 'first');
    const other = await createApiKey(t, user.token, 'second');
    await freshWindow();
    for (let i = 0; i < 5; i++) {
      const res = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('5');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    }
    const limited = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMIT');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');

    const fresh = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${other}`);
    expect(fresh.status).toBe(200);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('4');
  }, 90_000);

  it('counts a burst of concurrent requests exactly', async () => {
    const key = await createApiKey(t, user.token, 'burst');
    await freshWindow();
    const me = () => t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
    expect((await me()).headers['x-ratelimit-remaining']).toBe('4');
    const burst = await Promise.all(Array.from({ length: 7 }, () => me()));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const remaining = burst
      .filter((r) => r.status === 200)
      .map((r) => r.headers['x-ratelimit-remaining']);
    expect(remaining.sort()).toEqual(['0', '1', '2', '3']);
  }, 90_000);

  it('limits chat separately and more tightly', async () => {
    const key = await createApiKey(t, user.token, 'chat');
    await freshWindow();
    for (let i = 0; i < 2; i++) {
      const res = await t
        .http()
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${key}`)
        .send({ message: 'hi' });
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('2');
    }
    const limited = await t
      .http()
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${key}`)
      .send({ message: 'hi' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMIT');
    expect(limited.headers['retry-after']).toBeDefined();
    const stream = await t
      .http()
      .post('/api/v1/chat/stream')
      .set('Authorization', `Bearer ${key}`)
      .send({ message: 'hi' });
    expect(stream.status).toBe(429);
    const other = await t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`);
    expect(other.status).toBe(200);
  }, 90_000);

  it('keeps public routes out of the per-credential limit', async () => {
    for (let i = 0; i < 8; i++) expect((await t.http().get('/health/live')).status).toBe(200);
  });
});

describe('rate limits shared through Redis', () => {
  it('holds across two server instances on one Redis', async () => {
    const env = testEnv({ RATE_LIMIT_PER_MINUTE: '6' });
    const a = await startApp(env);
    const b = await startApp(env, { reset: false });
    try {
      const user = await createUser(a);
      const key = await createApiKey(a, user.token);
      await freshWindow();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await a.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`)).status,
        );
        statuses.push(
          (await b.http().get('/api/v1/users/me').set('Authorization', `Bearer ${key}`)).status,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await b.close();
      await a.close();
    }
  }, 90_000);
});
