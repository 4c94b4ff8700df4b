import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createUser, TestUser } from '../factories/users.factory';
import { flushQueues } from '../support/queues';
import { startTestApp, TestApp } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';
import { eventually } from '../support/wait';
import { startWebhookReceiver } from '../support/webhook-receiver';

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
describe('chat turns, skill runs and webhook deliveries on SQLite reuse their prepared statements', () => {
  let t: TestApp;
  let user: TestUser;
  const prepare = jest.spyOn(Database.prototype, 'prepare');

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-sqlite-statements-'));
    await flushQueues(REDIS_URL);
    t = await startTestApp({
      DATABASE_URL: `sqlite:${join(dir, 'openclaw.db')}`,
      REDIS_URL,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    });
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

  it('prepares no new statement for runs announced to a webhook, nor for their deliveries', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const hook = await t
        .http()
        .post('/api/v1/webhooks')
        .set('Authorization', `Bearer ${user.token}`)
        .send({ url: receiver.url, events: ['skill.run.completed', 'skill.run.failed'] });
      expect(hook.status).toBe(201);
      // Each attempt records the receiver's status code and its own duration.
      receiver.answer(200, 201, 202, 204, 200, 201, 202, 204, 200, 201);
      const run = (n: number) =>
        t
          .http()
          .post('/api/v1/skills/sqlite-statements/run')
          .set('Authorization', `Bearer ${user.token}`)
          .send({ params: { n } });
      const delivered = (count: number) =>
        eventually(
          async () =>
            (
              (await t.db.query(
                "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = ? AND status = 'succeeded'",
                [hook.body.id],
              )) as { n: number }[]
            )[0].n,
          (n) => n >= count,
          10_000,
        );
      // A run ends in a transaction now (its event goes to the outbox with it).
      for (const n of [0, 1]) expect((await run(n)).status).toBe(200);
      expect(await delivered(2)).toBe(2);

      prepare.mockClear();
      const statuses = [];
      for (let n = 0; n < 8; n++) statuses.push((await run(n)).body.status);
      expect(await delivered(10)).toBe(10);

      // Before, TypeORM wrote the run's duration and exit code, the delivery's lease and the
      // attempt's status code and duration into the statements' text: several new ones per run.
      expect(prepare.mock.calls.map(([sql]) => sql)).toEqual([]);
      expect(statuses).toEqual(['succeeded', ...Array<string>(7).fill('failed')]);
      const attempts = (await t.db.query(
        `SELECT a.status_code, typeof(a.status_code) AS type, a.attempt, d.attempts
           FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
          WHERE d.webhook_id = ? ORDER BY a.created_at`,
        [hook.body.id],
      )) as { status_code: number; type: string; attempt: number; attempts: number }[];
      expect(attempts.map((a) => a.status_code)).toEqual([
        200, 201, 202, 204, 200, 201, 202, 204, 200, 201,
      ]);
      for (const a of attempts)
        expect(a).toMatchObject({ type: 'integer', attempt: 1, attempts: 1 });
      const events = receiver.requests.map((r) => JSON.parse(r.rawBody) as { type: string });
      expect(events.filter((e) => e.type === 'skill.run.failed')).toHaveLength(8);
    } finally {
      await receiver.close();
    }
  });
});
