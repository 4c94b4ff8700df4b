import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import request from 'supertest';

import { spawnServer } from '../support/server-process';

/** What a user sees when start-up fails: one JSON line per problem on stderr, no stack, exit code 1. */
async function expectStartupFailure(env: Record<string, string>, pattern: RegExp): Promise<string> {
  const server = spawnServer(env);
  const { code, ms } = await server.exited;
  const output = server.output().trim();
  expect(code).toBe(1);
  expect(ms).toBeLessThan(10_000);
  expect(output).toMatch(pattern);
  expect(output).not.toMatch(/\n\s+at /);
  // JSON like every other log line, so a log collector reads the reason too.
  for (const line of output.split('\n')) expect(JSON.parse(line)).toMatchObject({ level: 60 });
  return output;
}

const ROOT = resolve(__dirname, '../..');
const TYPEORM_CLI = join(ROOT, 'node_modules/typeorm/cli.js');
const ORMCONFIG = join(ROOT, 'dist/ormconfig.js');

const sqlite = (dir = '') => ({ DATABASE_URL: `sqlite:${dir || '.'}/data/openclaw.db` });

describe('start-up (SPEC §2)', () => {
  it('exits within 10 s naming the Redis host and port and the fix when Redis is unreachable', async () => {
    const out = await expectStartupFailure(
      { ...sqlite(), REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' },
      /Redis at 127\.0\.0\.1:1\b.*REDIS_URL/,
    );
    expect(out.split('\n')).toHaveLength(1);
    expect(out).not.toContain('hunter2-secret');
  });

  it('exits within 10 s naming the PostgreSQL host and port, never the password', async () => {
    const out = await expectStartupFailure(
      { DATABASE_URL: 'postgres://openclaw:hunter2-secret@127.0.0.1:1/openclaw' },
      /PostgreSQL at 127\.0\.0\.1:1\b.*DATABASE_URL/,
    );
    expect(out.split('\n')).toHaveLength(1);
    expect(out).not.toContain('hunter2-secret');
  });

  it('names each bad variable on a line of its own', async () => {
    const out = await expectStartupFailure({ ...sqlite(), PORT: 'abc', ROLE: 'boss' }, /PORT/);
    expect(out).toMatch(/ROLE/);
    expect(out.split('\n')).toHaveLength(2);
  });

  it('requires JWT_SECRET in production', async () => {
    await expectStartupFailure({ ...sqlite(), NODE_ENV: 'production' }, /JWT_SECRET/);
  });

  it('asks for ADMIN_EMAIL/ADMIN_PASSWORD when the password file cannot be written', async () => {
    const server = spawnServer({ ...sqlite(), DATA_DIR: '/proc/version/not-a-dir' });
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(server.output()).toMatch(/ADMIN_EMAIL and ADMIN_PASSWORD/);
    expect(server.output()).not.toMatch(/\n\s+at /);
  });

  it('creates the first admin with a generated password in a 0600 file, and logs neither password nor token', async () => {
    const server = spawnServer({});
    try {
      await server.waitForOutput(/listening on/);
      const file = join(server.cwd, 'data', 'initial-admin-password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(server.output()).toContain(file);

      const http = request(`http://127.0.0.1:${server.port}`);
      await http
        .post('/api/v1/auth/login')
        .send({ email: 'admin@openclaw.local', password: 'wrong-password' })
        .expect(401);
      const login = await http
        .post('/api/v1/auth/login')
        .send({ email: 'admin@openclaw.local', password });
      expect(login.status).toBe(200);
      const token = login.body.access_token;
      const created = await http
        .post('/api/v1/users')
        .set('Authorization', `Bearer ${token}`)
        .send({ email: 'new@example.test', password: 'new-user-password' });
      expect(created.status).toBe(201);
      const key = await http
        .post('/api/v1/api-keys')
        .set('Authorization', `Bearer ${token}`)
        .send({ name: 'cli' });
      await http.get('/api/v1/users/me').set('Authorization', `Bearer ${key.body.key}`).expect(200);
      await http.get('/api/v1/nope').set('Authorization', `Bearer ${token}`).expect(404);

      const log = server.output();
      for (const secret of [password, token, key.body.key, 'new-user-password', 'wrong-password']) {
        expect(log).not.toContain(secret);
      }
      expect(log).not.toMatch(/authorization/i);
    } finally {
      await server.stop();
    }
  });

  it('creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD and writes no password file', async () => {
    const server = spawnServer({
      ADMIN_EMAIL: 'Boss@Example.test',
      ADMIN_PASSWORD: 'boss-password-1',
    });
    try {
      await server.waitForOutput(/listening on/);
      const http = request(`http://127.0.0.1:${server.port}`);
      const login = await http
        .post('/api/v1/auth/login')
        .send({ email: 'boss@example.test', password: 'boss-password-1' });
      expect(login.status).toBe(200);
      expect(() => statSync(join(server.cwd, 'data', 'initial-admin-password'))).toThrow();
      expect(server.output()).not.toContain('boss-password-1');
    } finally {
      await server.stop();
    }
  });

  it('reads a .env file from the working directory', async () => {
    const server = spawnServer({});
    await server.stop();
    writeFileSync(join(server.cwd, '.env'), 'ROLE=boss\n');
    const again = spawnServer({}, server.cwd);
    const { code } = await again.exited;
    expect(code).toBe(1);
    expect(JSON.parse(again.output().trim()).msg).toMatch(/^Configuration error: ROLE/);
  });

  it('runs the migrations from the TypeORM CLI (npm run migration:run)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-migrate-'));
    const run = (command: string) =>
      spawnSync(process.execPath, [TYPEORM_CLI, command, '-d', ORMCONFIG], {
        cwd: dir,
        env: { PATH: process.env.PATH, DATABASE_URL: `sqlite:${join(dir, 'cli.db')}` },
        encoding: 'utf8',
      });
    const migrated = run('migration:run');
    expect(migrated.status).toBe(0);
    const shown = run('migration:show');
    expect(shown.stdout).toMatch(/\[X\] \d+ Init\d+/);
    expect(shown.stdout).not.toMatch(/\[ \]/);
  });

  it('with DB_MIGRATE=false and no schema, exits 1 with one JSON line naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-nomigrate-'));
    const databaseUrl = `sqlite:${join(dir, 'api.db')}`;
    const out = await expectStartupFailure(
      { DATABASE_URL: databaseUrl, DB_MIGRATE: 'false' },
      /DB_MIGRATE=false.*npm run migration:run.*migration Job/,
    );
    expect(out.split('\n')).toHaveLength(1);
    expect(JSON.parse(out)).toMatchObject({ level: 60, msg: expect.any(String) });
    expect(out).not.toMatch(/SqliteError|system_settings/);

    // Once the migration Job (here: the CLI) has run, the same pod starts; logs stay JSON to the end.
    const migrated = spawnSync(process.execPath, [TYPEORM_CLI, 'migration:run', '-d', ORMCONFIG], {
      cwd: dir,
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
      encoding: 'utf8',
    });
    expect(migrated.status).toBe(0);
    const server = spawnServer({ DATABASE_URL: databaseUrl, DB_MIGRATE: 'false' });
    await server.waitForOutput(/listening on/);
    await server.stop();
    expect((await server.exited).code).toBe(0);
    const lines = server
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.at(-2)?.msg).toMatch(/^SIGTERM: finishing in-flight /);
    expect(lines.at(-1)?.msg).toBe('stopped');
  });

  it('serves only health checks in the worker role', async () => {
    const server = spawnServer({ ROLE: 'worker' });
    try {
      await server.waitForOutput(/listening on/);
      const http = request(`http://127.0.0.1:${server.port}`);
      await http.get('/health/live').expect(200);
      await http.get('/health/ready').expect(200);
      const res = await http
        .post('/api/v1/auth/login')
        .send({ email: 'a@example.test', password: 'whatever1' });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    } finally {
      await server.stop();
    }
  });
});
