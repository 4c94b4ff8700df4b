import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { flushQueues } from '../support/queues';
import { ServerProcess, spawnServer } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_REDIS_URL, testEnv } from '../support/test-env';
import { sleep, until } from '../support/wait';
import { startWebhookReceiver, verifyRequest, WebhookReceiver } from '../support/webhook-receiver';

const HOOKS = '/api/v1/webhooks';

// A Redis database apart from db 0 and webhooks.e2e's 15: other test files' apps run webhook
// workers too, and one of them must never take (or flush) the jobs of these processes.
const REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = '/7';
  return url.toString();
})();

interface Delivery {
  id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: { attempt: number; status_code: number | null; error: string | null }[];
  next_attempt_at: string | null;
}

/**
 * The built server as an API process and worker processes sharing one database and one Redis:
 * the outbox rows written by the API are carried out by whichever worker is alive.
 */
describe('webhook deliveries across API and worker processes (SPEC §1, §9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-webhook-workers-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shared.db')}`;
  const servers: ServerProcess[] = [];
  let api: ServerProcess;
  let worker: ServerProcess | undefined;
  let rx: WebhookReceiver;
  let token: string;
  let hook: { id: string; secret: string };

  const http = () => request(`http://127.0.0.1:${api.port}`);
  const auth = <T extends { set(k: string, v: string): T }>(req: T) =>
    req.set('Authorization', `Bearer ${token}`);

  function start(role: 'api' | 'worker'): ServerProcess {
    const server = spawnServer({
      ROLE: role,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      SHUTDOWN_TIMEOUT_MS: '5000',
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_TIMEOUT_MS: '3000',
      WEBHOOK_RECONCILE_INTERVAL_MS: '500',
      // One retry, late enough to tell "now" from "when it was due".
      WEBHOOK_RETRY_SCHEDULE: '10s',
    });
    servers.push(server);
    return server;
  }

  async function startWorker(): Promise<ServerProcess> {
    const server = start('worker');
    await server.waitForOutput(/listening on/);
    return server;
  }

  const alive = (s?: ServerProcess) => !!s && s.proc.exitCode === null && !s.proc.signalCode;

  async function liveWorker(): Promise<ServerProcess> {
    if (!alive(worker)) worker = await startWorker();
    return worker!;
  }

  /** Emits session.created for the admin: one new delivery to the test webhook. */
  async function trigger(): Promise<Delivery> {
    const before = await deliveries();
    const res = await auth(http().post('/api/v1/sessions')).send({ name: 'hooked' });
    expect(res.status).toBe(201);
    const after = await deliveries();
    expect(after).toHaveLength(before.length + 1);
    return after[after.length - 1];
  }

  async function deliveries(): Promise<Delivery[]> {
    const res = await auth(http().get(`${HOOKS}/${hook.id}/deliveries?limit=100&order=asc`));
    expect(res.status).toBe(200);
    return res.body.data as Delivery[];
  }

  async function delivery(id: string): Promise<Delivery> {
    const res = await auth(http().get(`${HOOKS}/${hook.id}/deliveries/${id}`));
    expect(res.status).toBe(200);
    return res.body as Delivery;
  }

  const requestsFor = (eventId: string) =>
    rx.requests.filter((r) => verifyRequest(hook.secret, r).id === eventId);

  beforeAll(async () => {
    if (process.env.DATABASE_URL) await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    await flushQueues(REDIS_URL);
    rx = await startWebhookReceiver();
    api = start('api');
    await api.waitForOutput(/listening on/);
    const login = await http()
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    token = login.body.access_token;
    const created = await auth(http().post(HOOKS)).send({
      url: rx.url,
      events: ['session.created'],
    });
    expect(created.status).toBe(201);
    hook = created.body;
  }, 30_000);

  afterAll(async () => {
    for (const s of servers) if (alive(s)) s.proc.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await rx?.close();
  });

  it('keeps deliveries pending while no worker runs, and delivers them once one starts', async () => {
    if (alive(worker)) await worker!.stop();
    const d = await trigger();
    expect(d).toMatchObject({ status: 'pending', attempts: [] });
    await sleep(1500);
    expect(await delivery(d.id)).toMatchObject({ status: 'pending', attempts: [] });
    expect(requestsFor(d.event_id)).toHaveLength(0);

    worker = await startWorker();
    const done = await until(
      'the delivery to succeed',
      async () => {
        const x = await delivery(d.id);
        return x.status !== 'pending' && x;
      },
      15_000,
    );
    expect(done.status).toBe('succeeded');
    expect(done.attempts.map((a) => a.status_code)).toEqual([200]);
    const reqs = requestsFor(d.event_id);
    expect(reqs).toHaveLength(1);
    expect(reqs[0].headers['webhook-id']).toBe(d.event_id);
  }, 30_000);

  it('delivers at least once when the worker is SIGKILLed mid-request: same webhook-id, succeeded', async () => {
    const w = await liveWorker();
    rx.answer({ status: 200, delayMs: 2000 });
    const seen = rx.requests.length;
    const d = await trigger();
    await rx.waitFor(seen + 1, 10_000);
    w.proc.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
    expect(await delivery(d.id)).toMatchObject({ status: 'pending' });

    worker = await startWorker();
    const done = await until(
      'the delivery to succeed after the crash',
      async () => {
        const x = await delivery(d.id);
        return x.status !== 'pending' && x;
      },
      40_000,
      250,
    );
    expect(done.status).toBe('succeeded');
    expect(done.attempts[done.attempts.length - 1]).toMatchObject({
      status_code: 200,
      error: null,
    });
    // At-least-once: the event may arrive twice, always under its one id and with one body.
    const reqs = rx.requests.slice(seen);
    expect(reqs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(reqs.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.event_id]));
    expect(new Set(reqs.map((r) => verifyRequest(hook.secret, r).id))).toEqual(
      new Set([d.event_id]),
    );
    expect(new Set(reqs.map((r) => r.rawBody)).size).toBe(1);
  }, 55_000);

  it('a manual retry of a delivery waiting for its next attempt sends it now', async () => {
    await liveWorker();
    rx.answer(500);
    const seen = rx.requests.length;
    const d = await trigger();
    const waiting = await until(
      'the first attempt',
      async () => {
        const x = await delivery(d.id);
        return x.attempts.length === 1 && x;
      },
      10_000,
    );
    expect(waiting).toMatchObject({ status: 'pending', attempts: [{ status_code: 500 }] });
    expect(new Date(waiting.next_attempt_at!).getTime()).toBeGreaterThan(Date.now() + 5000);

    const retried = await auth(http().post(`${HOOKS}/${hook.id}/deliveries/${d.id}/retry`));
    expect([200, 202]).toContain(retried.status);
    const asked = Date.now();
    await rx.waitFor(seen + 2, 15_000);
    const sentAfterMs = rx.requests[seen + 1].at - asked;
    const done = await until(
      'the retried delivery to succeed',
      async () => {
        const x = await delivery(d.id);
        return x.status === 'succeeded' && x;
      },
      5000,
    );
    expect(done.attempts.map((a) => a.status_code)).toEqual([500, 200]);
    expect(rx.requests[seen + 1].headers['webhook-id']).toBe(d.event_id);
    // SPEC §9: "POST …/retry sends it again" — now, not when the schedule would have.
    expect(sentAfterMs).toBeLessThan(3000);
  }, 30_000);
});
