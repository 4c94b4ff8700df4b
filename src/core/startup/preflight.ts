import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../database/data-source-options';
import type { Env } from '../env/env';

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'authentication failed',
  '28000': 'authentication failed',
  '3D000': 'database does not exist',
};

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code && REASONS[e.code]) return REASONS[e.code];
  if (/timeout|timed out/i.test(e?.message ?? '')) return 'timed out';
  return e?.code ?? 'unreachable';
}

export class PreflightError extends Error {}

async function checkRedis(env: Env): Promise<void> {
  const { host, port, url } = env.redis;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new PreflightError(
      `Cannot reach Redis at ${host}:${port} (${reason(err)}). Start Redis there or set REDIS_URL to a reachable server.`,
    );
  } finally {
    client.disconnect();
  }
}

async function checkDatabase(env: Env): Promise<void> {
  const db = env.database;
  if (db.type === 'sqlite') {
    if (db.path === ':memory:') return;
    const dir = dirname(resolve(db.path));
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      throw new PreflightError(
        `Cannot write the SQLite database directory ${dir} (${reason(err)}). Make it writable or set DATABASE_URL.`,
      );
    }
    return;
  }
  const client = new Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new PreflightError(
      `Cannot reach PostgreSQL at ${db.host}:${db.port} (${reason(err)}). Start PostgreSQL there or set DATABASE_URL to a reachable database.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * With DB_MIGRATE=false (API pods started before the migration Job ran) a missing or older schema
 * would fail deep inside Nest on the first table read; say what to run instead.
 */
async function checkSchema(env: Env): Promise<void> {
  if (env.DB_MIGRATE) return;
  const ds = new DataSource(Object.assign({}, dataSourceOptions(env), { migrationsRun: false }));
  let pending: boolean;
  try {
    await ds.initialize();
    const runner = ds.createQueryRunner();
    // Asked first: showMigrations() would create the migrations table, a write this pod should not make.
    const migrated = await runner.hasTable('typeorm_migrations').finally(() => runner.release());
    pending = !migrated || (await ds.showMigrations());
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
  if (pending) {
    throw new PreflightError(
      'The database schema is missing or out of date and DB_MIGRATE=false: run `npm run migration:run` ' +
        '(on Kubernetes, the migration Job) first, or start with DB_MIGRATE=true.',
    );
  }
}

/** Fails fast, with one line naming host and port, before Nest starts retrying anything. */
export async function preflight(env: Env): Promise<void> {
  await Promise.all([checkRedis(env), checkDatabase(env)]);
  await checkSchema(env);
}
