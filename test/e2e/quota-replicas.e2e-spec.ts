import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Redis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { FakeLlm, startFakeLlm } from '../support/fake-llm';
import { PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { ServerProcess, spawnServer } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testEnv } from '../support/test-env';

const CALL_TOKENS = 18; // the fake provider's 11 + 7
const LIMIT = 40 * CALL_TOKENS + 5;
const CLIENTS_PER_REPLICA = 6;

/**
 * Two built server processes sharing one database and one Redis, hammering one user's daily
 * quota at once: together they let through no more than one would (SPEC §13).
 */
describe('quotas across replicas (SPEC §13)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-quota-replicas-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shared.db')}`;
  const replicas: ServerProcess[] = [];
  let llm: FakeLlm;
  let redis: PrivateRedis;

  const http = (s: ServerProcess) => request(`http://127.0.0.1:${s.port}`);

  beforeAll(async () => {
    if (process.env.DATABASE_URL) await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    llm = await startFakeLlm();
    // Long enough that calls are in flight on both replicas when the limit is reached.
    llm.behave({ delayMs: 40 });
    redis = await startPrivateRedis();
    for (let i = 0; i < 2; i++) {
      const server = spawnServer({
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        ROLE: 'api',
        OPENAI_API_KEY: 'sk-replicas',
        OPENAI_BASE_URL: llm.baseURL,
        RATE_LIMIT_PER_MINUTE: '100000',
        RATE_LIMIT_CHAT_PER_MINUTE: '100000',
      });
      replicas.push(server);
      // The second waits for the first's migrations, so the two never race to run them.
      await server.waitForOutput(/listening on/, 30_000);
    }
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((s) => s.stop()));
    await llm?.close();
    await redis?.stop();
  });

  it('ends with the counter equal to the sum of the records, overshot by at most the calls in flight', async () => {
    const [a, b] = replicas;
    const login = await http(a)
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    const admin = login.body.access_token as string;
    const created = await http(a)
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ email: 'hammer@example.test', password: 'hammer-password-1' });
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    const quota = await http(a)
      .patch(`/api/v1/users/${userId}`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ quota: { tokens_per_day: LIMIT } });
    expect(quota.status).toBe(200);
    const key = await http(a)
      .post('/api/v1/api-keys')
      .set(
        'Authorization',
        `Bearer ${
          (
            await http(b)
              .post('/api/v1/auth/login')
              .send({ email: 'hammer@example.test', password: 'hammer-password-1' })
          ).body.access_token
        }`,
      )
      .send({ name: 'hammer' });
    expect(key.status).toBe(201);

    const statuses: number[] = [];
    const served = new Map<ServerProcess, number>();
    const client = async (server: ServerProcess, n: number) => {
      for (;;) {
        const res = await http(server)
          .post('/v1/chat/completions')
          .set('Authorization', `Bearer ${key.body.key}`)
          .send({ model: 'gpt-4o', messages: [{ role: 'user', content: `hammer ${n}` }] });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.body.error.type).toBe('insufficient_quota');
          return;
        }
        expect(res.status).toBe(200);
        served.set(server, (served.get(server) ?? 0) + 1);
      }
    };
    const clients: Promise<void>[] = [];
    for (let n = 0; n < CLIENTS_PER_REPLICA; n++) clients.push(client(a, n), client(b, n));
    await Promise.all(clients);

    const ok = statuses.filter((s) => s === 200).length;
    // Both replicas took their share of the quota.
    expect(served.get(a)).toBeGreaterThan(5);
    expect(served.get(b)).toBeGreaterThan(5);
    const db = new DataSource(
      testEnv({ DATABASE_URL: databaseUrl }).database.type === 'postgres'
        ? { type: 'postgres', url: databaseUrl }
        : { type: 'better-sqlite3', database: databaseUrl.replace(/^sqlite:/, '') },
    );
    await db.initialize();
    let records: { n: string | number; tokens: string | number }[];
    try {
      records = await db.query(
        `SELECT COUNT(*) AS n, SUM(input_tokens + output_tokens) AS tokens FROM usage_records`,
      );
    } finally {
      await db.destroy();
    }
    const sum = Number(records[0].tokens);
    expect(Number(records[0].n)).toBe(ok);
    expect(sum).toBe(ok * CALL_TOKENS);

    const day = new Date().toISOString().slice(0, 10);
    const counters = new Redis(redis.url);
    const counted = Number(await counters.get(`openclaw:quota:user:${userId}:tokens:d:${day}`));
    counters.disconnect();
    expect(counted).toBe(sum);
    // Reached, and overshot only by calls admitted while it was still below the limit: at most
    // one per client in flight at that moment.
    expect(sum).toBeGreaterThanOrEqual(LIMIT);
    expect(sum - LIMIT).toBeLessThan(2 * CLIENTS_PER_REPLICA * CALL_TOKENS);
    expect(llm.requests).toHaveLength(ok);
  }, 60_000);

  it('holds a user to a default quota set through the other replica from the very next call, counting the calls made before it', async () => {
    const [a, b] = replicas;
    const admin = (
      await http(a)
        .post('/api/v1/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
    ).body.access_token as string;
    const user = { email: 'by-default@example.test', password: 'by-default-password-1' };
    expect(
      (await http(a).post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send(user))
        .status,
    ).toBe(201);
    const token = (await http(b).post('/api/v1/auth/login').send(user)).body.access_token;
    const chat = () =>
      http(b)
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${token}`)
        .send({ message: 'hi', model: 'gpt-4o' });
    // No limit watches these: replica b has just read the config, with no default quota.
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(200);

    const setDefault = (quota: object | null) =>
      http(a)
        .patch('/api/v1/config')
        .set('Authorization', `Bearer ${admin}`)
        .send({ default_user_quota: quota });
    expect((await setDefault({ tokens_per_day: 2 * CALL_TOKENS })).status).toBe(200);
    try {
      const refused = await chat();
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('QUOTA_EXCEEDED');
      expect(refused.body.error.details.used).toBe(2 * CALL_TOKENS);
    } finally {
      expect((await setDefault(null)).status).toBe(200);
    }
  }, 30_000);
});
