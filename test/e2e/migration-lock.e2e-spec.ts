import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

import { Client } from 'pg';

import { MIGRATION_LOCK_KEY } from '../../src/core/database/migrate';
import { POSTGRES_MIGRATIONS } from '../../src/core/database/migrations';
import { spawnServer } from '../support/server-process';
import { TEST_REDIS_URL } from '../support/test-env';
import { until } from '../support/wait';

/**
 * Two processes migrating one PostgreSQL database at once (two pods, or a release Job next to a pod):
 * the advisory lock makes one wait for the other, both succeed, and every migration is applied once.
 * Runs on the CI PostgreSQL server (DATABASE_URL's when set) in a database of its own, on either dialect run.
 */

const CLI = resolve(__dirname, '../../dist/src/core/database/migrate-cli.js');
const SERVER_URL = new URL(
  process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
);

function dbUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

function migrate(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: url,
        REDIS_URL: TEST_REDIS_URL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => done({ code, output }));
  });
}

describe('migrations under a PostgreSQL advisory lock', () => {
  const admin = new Client({ connectionString: dbUrl('postgres') });
  let name: string;
  let url: string;

  beforeAll(() => admin.connect());
  afterAll(() => admin.end());

  beforeEach(async () => {
    name = `openclaw_lock_${randomBytes(4).toString('hex')}`;
    url = dbUrl(name);
    await admin.query(`CREATE DATABASE ${name}`);
  });

  afterEach(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  async function applied(): Promise<string[]> {
    const db = new Client({ connectionString: url });
    await db.connect();
    try {
      const rows = await db.query<{ name: string }>('SELECT name FROM typeorm_migrations');
      return rows.rows.map((r) => r.name);
    } finally {
      await db.end();
    }
  }

  it('a migrating init container and a starting server: both wait for the lock, then both succeed, migrations applied once', async () => {
    const holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const job = migrate(url);
    let ready = false;
    const server = spawnServer({
      NODE_ENV: 'test',
      ROLE: 'api',
      DATABASE_URL: url,
      DB_MIGRATE: 'true',
      ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: 'admin-password-123',
    });
    try {
      // Both are queued on the lock, and neither has touched the schema.
      await until(
        'two migrators waiting on the lock',
        async () => {
          const waiting = await admin.query(
            `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
             WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1`,
            [name],
          );
          return waiting.rows[0].n === 2;
        },
        20000,
      );
      const tables = await holder.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'typeorm_migrations'`,
      );
      expect(tables.rows[0].n).toBe(0);

      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      const done = await job;
      expect(done.code).toBe(0);
      expect(done.output).toMatch(/Another process is running migrations; waiting/);
      ready = await until(
        'the server ready',
        async () => {
          const res = await fetch(`http://127.0.0.1:${server.port}/health/ready`).catch(() => null);
          return res?.status === 200;
        },
        30000,
      );
      // The server's start-up logs are buffered until it is up.
      expect(server.output()).toMatch(/Another process is running migrations; waiting/);
      const names = await applied();
      expect(names.sort()).toEqual(POSTGRES_MIGRATIONS.map((m) => m.name).sort());
    } finally {
      await holder.end();
      // A server still starting up has no SIGTERM handler yet that would end it promptly.
      if (!ready) server.proc.kill('SIGKILL');
      await server.stop();
    }
  });

  it('two migrating init containers at once: one applies every migration, the other waits and finds none left', async () => {
    const [a, b] = await Promise.all([migrate(url), migrate(url)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const counts = [a, b].map((r) => Number(/Applied (\d+) migration/.exec(r.output)?.[1])).sort();
    expect(counts).toEqual([0, POSTGRES_MIGRATIONS.length]);
    const names = await applied();
    expect(names).toHaveLength(POSTGRES_MIGRATIONS.length);
    expect(new Set(names).size).toBe(POSTGRES_MIGRATIONS.length);
  });
});
