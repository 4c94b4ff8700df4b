import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

import { ServerProcess, spawnServer } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testEnv } from '../support/test-env';

const USER_PASSWORD = 'user-password-4d1f9c';
const WRONG_PASSWORD = 'wrong-password-b71e22';
const MESSAGE = 'a private message 5e0a3c that must never reach a log';

interface LogLine {
  level: number;
  time: string;
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { status: number };
  user_id?: string;
  err_code?: string;
}

function parseLog(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

/** The built server as operators run it: its stdout is what a log collector receives (SPEC §11). */
describe('logs (SPEC §11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-logging-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'logs.db')}`;
  let server: ServerProcess;
  let http: () => TestAgent;

  beforeAll(async () => {
    await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    server = spawnServer({
      DATABASE_URL: databaseUrl,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'debug',
    });
    await server.waitForOutput(/listening on/);
    http = () => request(`http://127.0.0.1:${server.port}`);
  });
  afterAll(() => server.stop());

  it('are JSON lines with the request id; no password, key, token or message body', async () => {
    const login = await http()
      .post('/api/v1/auth/login')
      .set('X-Request-Id', 'trace-login-1')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(200);
    const jwt: string = login.body.access_token;
    await http()
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: WRONG_PASSWORD })
      .expect(401);
    await http()
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${jwt}`)
      .send({ email: 'logged@example.test', password: USER_PASSWORD, name: 'Logged' })
      .expect(201);
    const created = await http()
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${jwt}`)
      .send({ name: 'log test' })
      .expect(201);
    const key: string = created.body.key;
    const me = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${jwt}`);
    const chat = await http()
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${key}`)
      .set('X-Request-Id', 'trace-chat-1')
      .send({ message: MESSAGE, model: 'echo' })
      .expect(200);
    expect(chat.body.response).toContain('5e0a3c');
    // A rejected body is not echoed into the log either.
    await http()
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: WRONG_PASSWORD, extra: MESSAGE })
      .expect(400);
    await http()
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${key}x`)
      .set('X-Request-Id', 'trace-bad-key-1')
      .expect(401);
    await http()
      .get('/api/v1/sessions/nope')
      .set('Authorization', `Bearer ${key}`)
      .set('X-Request-Id', 'trace-missing-1')
      .expect(404);
    await new Promise((r) => setTimeout(r, 300));

    const output = server.output();
    const lines = parseLog(output);
    const chatLine = lines.find((l) => l.req?.id === 'trace-chat-1');
    expect(chatLine).toMatchObject({
      level: 30,
      req: { method: 'POST', url: '/api/v1/chat' },
      res: { status: 200 },
      user_id: me.body.id,
    });
    expect(new Date(chatLine!.time).toISOString()).toBe(chatLine!.time);
    expect(lines.find((l) => l.req?.id === 'trace-login-1')).toMatchObject({
      req: { url: '/api/v1/auth/login' },
      res: { status: 200 },
    });
    expect(lines.find((l) => l.req?.id === 'trace-login-1')?.err_code).toBeUndefined();
    // 4xx lines name the error code the caller got, so a log search finds them without the body.
    expect(lines.find((l) => l.req?.id === 'trace-bad-key-1')).toMatchObject({
      level: 40,
      res: { status: 401 },
      err_code: 'INVALID_API_KEY',
    });
    expect(lines.find((l) => l.req?.id === 'trace-missing-1')).toMatchObject({
      level: 40,
      res: { status: 404 },
      err_code: 'SESSION_NOT_FOUND',
    });

    for (const secret of [
      ADMIN_PASSWORD,
      WRONG_PASSWORD,
      USER_PASSWORD,
      key,
      key.slice(3, 20),
      jwt,
      jwt.split('.')[2],
      '5e0a3c',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output.toLowerCase()).not.toContain('authorization');
  });

  it('LOG_LEVEL=warn keeps request lines of successful calls out', async () => {
    const quietDir = mkdtempSync(join(tmpdir(), 'openclaw-logging-quiet-'));
    const quiet = spawnServer({
      DATABASE_URL: process.env.DATABASE_URL || `sqlite:${join(quietDir, 'logs.db')}`,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
    });
    try {
      const base = `http://127.0.0.1:${quiet.port}`;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await request(base)
          .get('/health/live')
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error(quiet.output());
        await new Promise((r) => setTimeout(r, 100));
      }
      await request(base)
        .post('/api/v1/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
        .expect(200);
      await request(base).get('/api/v1/users/me').expect(401);
      await new Promise((r) => setTimeout(r, 300));
      const lines = parseLog(quiet.output());
      expect(lines.every((l) => l.level >= 40)).toBe(true);
      expect(lines.some((l) => l.res?.status === 401)).toBe(true);
    } finally {
      await quiet.stop();
    }
  });
});
