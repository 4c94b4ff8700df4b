import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';

import type { Env } from '../../src/core/env/env';
import { createApp } from '../../src/create-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_REDIS_URL, testEnv } from './test-env';

export interface TestApp {
  app: INestApplication;
  env: Env;
  db: DataSource;
  http: () => TestAgent;
  adminToken: string;
  close(): Promise<void>;
}

/** Empties the database so every test file starts from a fresh install. */
export async function resetDatabase(env: Env): Promise<void> {
  if (env.database.type !== 'postgres') return;
  const ds = new DataSource({ type: 'postgres', url: env.database.url });
  await ds.initialize();
  await ds.query('DROP SCHEMA IF EXISTS public CASCADE');
  await ds.query('CREATE SCHEMA public');
  await ds.destroy();
}

/** Always the real test Redis: the app under test may be pointed at an unreachable one. */
export async function flushRedis(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys('openclaw:*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

/** The real application — real database, real Redis — as main.ts builds it, on a random port. */
export async function startApp(env: Env, { reset = true } = {}): Promise<TestApp> {
  if (reset) {
    await resetDatabase(env);
    await flushRedis();
  }
  const app = await createApp(env);
  let login;
  try {
    await app.listen(0, '127.0.0.1');
    login = await request(app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  } catch (err) {
    // A failed start must not leave Redis clients, queues or workers keeping Jest alive.
    await app.close().catch(() => undefined);
    throw err;
  }
  const http = () => request(app.getHttpServer());
  return {
    app,
    env,
    db: app.get(DataSource),
    http,
    adminToken: login.body.access_token,
    close: () => app.close(),
  };
}

export function startTestApp(overrides: Record<string, string | undefined> = {}): Promise<TestApp> {
  return startApp(testEnv(overrides));
}
