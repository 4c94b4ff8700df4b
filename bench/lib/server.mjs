// The built OpenClaw server under test, its databases and its Redis keys.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, URL } from 'node:url';

import Redis from 'ioredis';
import pg from 'pg';

import { freePort, onCleanup, startCommand, stop } from './proc.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
export const PG_ADMIN_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = { email: 'bench-admin@openclaw.local', password: 'bench-admin-password' };

/** Deletes the server's keys (`openclaw:*`) in the bench's Redis database (or `url`'s), nothing else. */
export async function flushRedisKeys(url = REDIS_URL) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'openclaw:*', 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function redisVersion() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

/** A fresh PostgreSQL database, dropped at clean-up. Returns its URL and a client on it. */
export async function createPgDatabase() {
  const name = `openclaw_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  onCleanup(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } catch {
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
    } finally {
      await c.end();
    }
  });
  return { url: url.toString(), name, version };
}

/**
 * Starts the server as `npm start` does (bin/start beside the build's dist/, with `execArgv` as its
 * Node flags; a build without bin/start: `node dist/src/main.js`) on a free port, and waits until
 * /health/ready answers 200.
 */
export async function startServer({ built, databaseUrl, upstreamPort, env = {}, execArgv = [] }) {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), 'openclaw-bench-srv-'));
  onCleanup(() => rmSync(cwd, { recursive: true, force: true }));
  const serverEnv = {
    // bin/start runs the `node` on PATH: this one.
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
    HOME: process.env.HOME ?? cwd,
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'production',
    ROLE: 'all',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    DATA_DIR: join(cwd, 'data'),
    // As the image runs the server (Dockerfile): the logins' password hashes leave no arena behind.
    MALLOC_MMAP_THRESHOLD_: '131072',
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: `http://127.0.0.1:${upstreamPort}/v1`,
    RATE_LIMIT_PER_MINUTE: '1000000000',
    RATE_LIMIT_CHAT_PER_MINUTE: '1000000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    // Row 8 fans one user's turns out to 50 webhooks, above the default cap of 20.
    MAX_WEBHOOKS_PER_USER: '1000',
    SHUTDOWN_TIMEOUT_MS: '8000',
    ...(built.nodePath ? { NODE_PATH: built.nodePath } : {}),
    ...env,
  };
  const started = performance.now();
  const start = join(dirname(built.main), '../../bin/start');
  const [command, args] = existsSync(start)
    ? ['sh', [start, ...execArgv]]
    : [process.execPath, [...execArgv, built.main]];
  const child = startCommand('server', command, args, {
    cwd,
    env: serverEnv,
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the server exited with ${child.exitCode}:\n${child.output}`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`the server was not ready within 60 s:\n${child.output}`);
    }
    try {
      const res = await fetch(`${origin}/health/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  // Process start to the first 200 from /health/ready, to within the 10 ms poll.
  const readyMs = performance.now() - started;
  const server = { child, origin, port, env: serverEnv, readyMs };
  server.api = (method, path, body, token) => api(origin, method, path, body, token);
  const login = await server.api('POST', '/api/v1/auth/login', ADMIN);
  server.adminToken = login.access_token;
  server.apiKey = (
    await server.api('POST', '/api/v1/api-keys', { name: 'bench' }, server.adminToken)
  ).key;
  await server.api('PATCH', '/api/v1/config', { model: 'gpt-4o' }, server.adminToken);
  return server;
}

export async function api(origin, method, path, body, token) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300)
    throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Builds the server with its own nest-cli settings into a private directory, so that another
 * build of dist/ in the same tree (a test run, an editor) cannot swap files under the server.
 * Returns the path of main.js.
 */
export function buildServer({ skip = false, log }) {
  if (skip) {
    log('skipping the build (--no-build): using dist/ as it is');
    return { main: join(ROOT, 'dist/src/main.js') };
  }
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-bench-build-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        outDir: join(dir, 'dist'),
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
    }),
  );
  log(`nest build into ${dir}`);
  const res = spawnSync(
    join(ROOT, 'node_modules/.bin/nest'),
    ['build', '-p', relative(ROOT, tsconfig)],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (res.status !== 0) throw new Error('nest build failed');
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin/start'), join(dir, 'bin/start'));
  return { main: join(dir, 'dist/src/main.js'), nodePath: join(ROOT, 'node_modules') };
}

/** `count` messages in one INSERT, as if that many turns had been stored. */
export async function seedMessages(db, sessionId, count) {
  await db.query(
    `INSERT INTO messages (id, session_id, seq, role, content, model, tokens, status, created_at)
     SELECT gen_random_uuid(), $1, g, CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END,
            'Seeded message number ' || g || ' of the benchmark, about eighty characters long.',
            'gpt-4o', 12, 'complete', now() - make_interval(secs => $2 - g)
     FROM generate_series(1, $2::int) AS g`,
    [sessionId, count],
  );
  // What storeTurn keeps for every turn: the sequence counter and the message count.
  await db.query('UPDATE sessions SET last_seq = $2, message_count = $2 WHERE id = $1', [
    sessionId,
    count,
  ]);
  // As autovacuum would leave the tables, so the measured point does not race its VACUUM/ANALYZE.
  await db.query('VACUUM (ANALYZE) messages, sessions');
}

/**
 * What one connection waits for at least, apart from any server: p50 of a Redis script call (the
 * rate limit's shape) and of a committed PostgreSQL INSERT (a usage record's), each alone and in
 * sequence, on the bench's Redis and `pgUrl`'s database.
 */
export async function roundTrips(pgUrl, count = 2000) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const db = new pg.Client({ connectionString: pgUrl });
  await db.connect();
  await db.query(
    'CREATE TABLE bench_round_trip (id bigserial PRIMARY KEY, at timestamptz NOT NULL)',
  );
  const p50 = async (call) => {
    for (let i = 0; i < count / 10; i++) await call();
    const times = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await call();
      times.push(performance.now() - t);
    }
    return Number(times.sort((a, b) => a - b)[count >> 1].toFixed(3));
  };
  try {
    return {
      redisMs: await p50(() =>
        redis.eval("return redis.call('INCR', KEYS[1])", 1, 'openclaw:bench:round-trip'),
      ),
      pgCommitMs: await p50(() => db.query('INSERT INTO bench_round_trip (at) VALUES (now())')),
    };
  } finally {
    await db.query('DROP TABLE bench_round_trip');
    await redis.del('openclaw:bench:round-trip');
    await db.end();
    redis.disconnect();
  }
}
