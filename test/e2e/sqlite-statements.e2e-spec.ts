import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createUser, TestUser } from '../factories/users.factory';
import { flushQueues } from '../support/queues';
import { startTestApp, TestApp } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';

// better-sqlite3 ships no types; only its statements' preparation is watched here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as { prototype: { prepare(sql: string): unknown } };

// The skill-runs worker of this file's app on a Redis database of its own, as in skills.e2e-spec.ts.
const REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${1 + (process.pid % 7)}`;
  return url.toString();
})();

// Runs on SQLite whichever database the suite is given: the statements are SQLite's.
describe('chat turns and skill runs on SQLite reuse their prepared statements', () => {
  let t: TestApp;
  let user: TestUser;
  const prepare = jest.spyOn(Database.prototype, 'prepare');

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-sqlite-statements-'));
    await flushQueues(REDIS_URL);
    t = await startTestApp({ DATABASE_URL: `sqlite:${join(dir, 'openclaw.db')}`, REDIS_URL });
    user = await createUser(t);
  });
  afterAll(async () => {
    prepare.mockRestore();
    await t.close();
  });

  const chat = (body: object) =>
    t.http().post('/api/v1/chat').set('Authorization', `Bearer ${user.token}`).send(body);

  it('prepares no new statement for the turns of a long session', async () => {
    // A new session and two turns in it: every statement a turn uses is prepared by now.
    const first = await chat({ message: 'hello' });
    expect(first.status).toBe(200);
    const session_id = first.body.session_id as string;
    for (let i = 0; i < 2; i++)
      expect((await chat({ message: 'again', session_id })).status).toBe(200);

    prepare.mockClear();
    for (let i = 0; i < 10; i++)
      expect((await chat({ message: `turn ${i}`, session_id })).status).toBe(200);

    // Before, TypeORM wrote each turn's sequence numbers into its INSERT: ten turns, ten new
    // statements, each holding native memory until a full collection.
    expect(prepare.mock.calls.map(([sql]) => sql)).toEqual([]);
    const [row] = (await t.db.query(
      'SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM messages WHERE session_id = ?',
      [session_id],
    )) as { n: number; first: number; last: number }[];
    expect(row).toEqual({ n: 26, first: 1, last: 26 });
  });

  it('writes the messages as TypeORM wrote them: the same date text as their new session', async () => {
    const res = await chat({ message: 'read me back' });
    expect(res.status).toBe(200);
    const id = res.body.session_id as string;
    const [session] = (await t.db.query('SELECT created_at FROM sessions WHERE id = ?', [id])) as {
      created_at: string;
    }[];
    const rows = (await t.db.query(
      'SELECT seq, role, content, model, tokens, status, created_at FROM messages WHERE session_id = ? ORDER BY seq',
      [id],
    )) as Record<string, unknown>[];
    expect(session.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
    expect(rows).toEqual([
      expect.objectContaining({
        seq: 1,
        role: 'user',
        content: 'read me back',
        status: 'complete',
      }),
      expect.objectContaining({
        seq: 2,
        role: 'assistant',
        content: 'read me back',
        model: 'echo',
      }),
    ]);
    for (const row of rows) {
      expect(row.created_at).toBe(session.created_at);
      expect(Number.isInteger(row.tokens)).toBe(true);
    }

    const page = await t
      .http()
      .get(`/api/v1/sessions/${id}/messages?order=asc`)
      .set('Authorization', `Bearer ${user.token}`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((m: { created_at: string }) => m.created_at)).toEqual([
      `${session.created_at.replace(' ', 'T')}Z`,
      `${session.created_at.replace(' ', 'T')}Z`,
    ]);
  });

  it('prepares no new statement for skill runs that end with other durations and exit codes', async () => {
    const skill = await t
      .http()
      .post('/api/v1/skills')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ name: 'sqlite-statements', script: 'sleep "0.0$PARAM_N"; exit "$PARAM_N"' });
    expect(skill.status).toBe(201);
    const run = (n: number) =>
      t
        .http()
        .post('/api/v1/skills/sqlite-statements/run')
        .set('Authorization', `Bearer ${user.token}`)
        .send({ params: { n } });
    for (const n of [0, 1]) expect((await run(n)).status).toBe(200);

    prepare.mockClear();
    const runs = [];
    for (let n = 0; n < 8; n++) runs.push((await run(n)).body);

    expect(prepare.mock.calls.map(([sql]) => sql)).toEqual([]);
    expect(runs.map((r) => [r.status, r.exit_code])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => [n === 0 ? 'succeeded' : 'failed', n]),
    );
    expect(new Set(runs.map((r) => r.duration_ms)).size).toBeGreaterThan(1);
    for (const r of runs) expect(r.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
