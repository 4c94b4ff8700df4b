import { createApiKey, createUser, TestUser } from '../factories/users.factory';
import { startApp, startTestApp, TestApp } from '../support/test-app';
import { testEnv } from '../support/test-env';

/** Limits use one-minute windows: start a burst early in a window so it cannot straddle two. */
async function freshWindow(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
}

/** Creating keys uses the user's own bucket too: set them up, then start from a new window. */
async function nextWindow(): Promise<void> {
  await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 50));
}

interface Setup {
  user: TestUser;
  keys: string[];
}

describe('rate limits (SPEC §11)', () => {
  let t: TestApp;
  const setups: Setup[] = [];
  let limitedKey: string;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '8', RATE_LIMIT_CHAT_PER_MINUTE: '2' });
    for (const count of [4, 4, 1, 1]) {
      const user = await createUser(t);
      const keys: string[] = [];
      for (let i = 0; i < count; i++) keys.push(await createApiKey(t, user.token, `key ${i}`));
      setups.push({ user, keys });
    }
    const created = await t
      .http()
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${setups[3].user.token}`)
      .send({ name: 'limited', rate_limit_per_minute: 3 });
    expect(created.status).toBe(201);
    expect(created.body.rate_limit_per_minute).toBe(3);
    limitedKey = created.body.key;
    await nextWindow();
  }, 150_000);
  afterAll(() => t.close());

  const me = (credential: string) =>
    t.http().get('/api/v1/users/me').set('Authorization', `Bearer ${credential}`);

  it('gives all of a user’s keys and JWTs one bucket, and answers 429 RATE_LIMIT with Retry-After past it', async () => {
    const { user, keys } = setups[0];
    await freshWindow();
    for (let i = 0; i < 8; i++) {
      const res = await me(keys[i % 4]);
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('8');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(7 - i));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    }
    for (const credential of [...keys, user.token]) {
      const limited = await me(credential);
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RATE_LIMIT');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    }
    // Another user has a bucket of their own.
    const other = await createUser(t);
    const fresh = await me(other.token);
    expect(fresh.status).toBe(200);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('7');
  }, 90_000);

  it('lets four keys of one user answer 8 requests in total, even all at once', async () => {
    const { keys } = setups[1];
    await freshWindow();
    const burst = await Promise.all(Array.from({ length: 16 }, (_, i) => me(keys[i % 4])));
    const ok = burst.filter((r) => r.status === 200);
    expect(ok).toHaveLength(8);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(8);
    expect(ok.map((r) => r.headers['x-ratelimit-remaining']).sort()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
  }, 90_000);

  it('counts a burst of concurrent requests exactly', async () => {
    const [key] = setups[2].keys;
    await freshWindow();
    expect((await me(key)).headers['x-ratelimit-remaining']).toBe('7');
    const burst = await Promise.all(Array.from({ length: 11 }, () => me(key)));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
  }, 90_000);

  it('holds a key with its own rate_limit_per_minute to it, while the user’s other key goes on', async () => {
    const {
      user,
      keys: [otherKey],
    } = setups[3];
    await freshWindow();
    for (let i = 0; i < 3; i++) {
      const res = await me(limitedKey);
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    for (let i = 0; i < 2; i++) {
      const limited = await me(limitedKey);
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RATE_LIMIT');
      expect(limited.headers['x-ratelimit-limit']).toBe('3');
      expect(limited.headers['retry-after']).toBeDefined();
    }
    // The refused requests used none of the user's bucket: 3 of 8 are gone, 5 are left.
    for (let i = 0; i < 5; i++) {
      const res = await me(otherKey);
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    expect((await me(otherKey)).status).toBe(429);
    expect((await me(user.token)).status).toBe(429);
  }, 90_000);

  it('limits chat separately and more tightly', async () => {
    const user = await createUser(t);
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
  it('holds across two server instances on one Redis, per user whichever key is used', async () => {
    const env = testEnv({ RATE_LIMIT_PER_MINUTE: '6' });
    const a = await startApp(env);
    const b = await startApp(env, { reset: false });
    try {
      await freshWindow();
      const user = await createUser(a);
      // Creating the two keys takes 2 of the user's 6.
      const keys = [await createApiKey(a, user.token), await createApiKey(a, user.token)];
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await a.http().get('/api/v1/users/me').set('Authorization', `Bearer ${keys[0]}`)).status,
        );
        statuses.push(
          (await b.http().get('/api/v1/users/me').set('Authorization', `Bearer ${keys[1]}`)).status,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
    } finally {
      await b.close();
      await a.close();
    }
  }, 90_000);
});
