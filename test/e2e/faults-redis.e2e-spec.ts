import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FaultCluster, FINISHED, Run } from '../support/fault-cluster';
import { PrivateRedis, startPrivateRedis } from '../support/private-redis';
import type { ServerProcess } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, testEnv } from '../support/test-env';
import { sleep, until } from '../support/wait';
import { startWebhookReceiver, verifyRequest, WebhookReceiver } from '../support/webhook-receiver';

/** How long a request may take while Redis is down (SPEC §11: a ~1 s command timeout, plus work). */
const PROMPT_MS = 3000;

const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = Date.now();
  const value = await work();
  return [value, Date.now() - started];
};

/**
 * Redis outages with the API and a worker as separate processes on a private Redis that the test
 * stops and restarts empty (no persistence), as a drill would (SPEC §11 "Faults").
 */
describe('Redis outages (SPEC §11 Faults, §8, §9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-faults-redis-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shared.db')}`;
  let redis: PrivateRedis;
  let cluster: FaultCluster;
  let rx: WebhookReceiver;
  let worker: ServerProcess;

  beforeAll(async () => {
    if (process.env.DATABASE_URL) await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    redis = await startPrivateRedis();
    rx = await startWebhookReceiver();
    cluster = new FaultCluster({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RECONCILE_INTERVAL_MS: '1000',
      SKILL_RECONCILE_INTERVAL_MS: '1000',
      SKILL_STALLED_INTERVAL_MS: '1000',
      SKILL_RUN_WAIT_MS: '5000',
      RATE_LIMIT_PER_MINUTE: '1000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    });
    await cluster.startApi();
    worker = await cluster.startWorker();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await redis?.stop();
    await rx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Redis down: chats answer 200 promptly and are stored, the general limit lets requests through, login is a prompt 503, runs are queued; once Redis is back (empty) every delivery arrives and every run finishes', async () => {
    const { http } = { http: () => cluster.http() };
    // A user with a webhook on the messages of their chats.
    const email = `faulty-${Date.now()}@example.test`;
    const password = 'faulty-password-123';
    const created = await cluster
      .auth(http().post('/api/v1/users'))
      .send({ email, password, name: 'Faulty' });
    expect(created.status).toBe(201);
    const login = await http().post('/api/v1/auth/login').send({ email, password });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    const hook = await cluster
      .auth(http().post('/api/v1/webhooks'), token)
      .send({ url: rx.url, events: ['message.created'] });
    expect(hook.status).toBe(201);
    const skill = await cluster.createSkill('echo ran');

    await redis.stop();

    const ready = await http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe('SERVICE_UNAVAILABLE');
    // The queues' own connections are checked too, not only the shared client.
    expect(ready.body.error.details.checks.queues.status).toBe('down');

    const sessions: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [res, ms] = await timed(() =>
        cluster.auth(http().post('/api/v1/chat'), token).send({ message: `outage ${i}` }),
      );
      expect({ status: res.status, prompt: ms < PROMPT_MS }).toEqual({ status: 200, prompt: true });
      sessions.push(res.body.session_id as string);
    }
    for (const id of sessions) {
      const stored = await cluster.auth(http().get(`/api/v1/sessions/${id}/messages`), token);
      expect(stored.status).toBe(200);
      expect(stored.body.total).toBe(2);
    }

    // The general rate limit fails open, and says so in a metric.
    const [list, listMs] = await timed(() => cluster.auth(http().get('/api/v1/sessions'), token));
    expect(list.status).toBe(200);
    expect(listMs).toBeLessThan(PROMPT_MS);
    const metrics = await http().get('/metrics');
    expect(metrics.status).toBe(200);
    const unchecked = /^openclaw_rate_limit_unchecked_total (\d+)/m.exec(metrics.text);
    expect(Number(unchecked?.[1])).toBeGreaterThan(0);

    // Login limiting fails closed, promptly.
    const [denied, loginMs] = await timed(() =>
      http().post('/api/v1/auth/login').send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    );
    expect(denied.status).toBe(503);
    expect(denied.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(loginMs).toBeLessThan(1500);

    // A run asked for while Redis is away: stored, answered 202 as queued.
    const [queued, runMs] = await timed(() =>
      cluster.auth(http().post(`/api/v1/skills/${skill}/run`)).send({}),
    );
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('queued');
    expect(runMs).toBeLessThan(PROMPT_MS);

    await sleep(1500);
    await redis.start();

    // Every message of every chat is delivered, by the reconciler (the jobs were never added).
    await rx.waitFor(10, 20_000);
    const events = rx.requests.map((r) => verifyRequest(hook.body.secret as string, r));
    expect(new Set(events.map((e) => e.id)).size).toBe(10);
    expect(new Set(events.map((e) => e.data.session_id)).size).toBe(5);
    const run = await until(
      'the queued run to finish',
      async () => {
        const r = await cluster.run(queued.headers.location as string);
        return r && FINISHED.includes(r.status) && r;
      },
      20_000,
    );
    expect(run).toMatchObject({ status: 'succeeded', stdout: 'ran\n' });
    await until(
      'ready again',
      async () => (await http().get('/health/ready')).status === 200,
      10_000,
    );
  }, 60_000);

  it('Redis restarted empty mid-way through 20 runs: every run reaches a final state', async () => {
    const skill = await cluster.createSkill('sleep 0.3; echo ok');
    const locations: string[] = [];
    for (let i = 0; i < 20; i++) locations.push(await cluster.enqueue(skill));
    await until(
      'a first run to finish',
      async () => {
        const r = await cluster.run(locations[0]);
        return r && FINISHED.includes(r.status);
      },
      10_000,
    );
    await redis.stop();
    await redis.start();

    const started = Date.now();
    const runs = await until(
      'every run to be final',
      async () => {
        const all = await Promise.all(locations.map((l) => cluster.run(l)));
        return all.every((r) => r && FINISHED.includes(r.status)) && (all as Run[]);
      },
      40_000,
      250,
    );
    // Runs that never started are run once Redis is back: none is lost.
    expect(runs.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(18);
    for (const r of runs.filter((x) => x.status !== 'succeeded')) expect(r.stderr).toMatch(/\S/);
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 60_000);

  it('a running run whose worker died and whose job Redis lost ends failed with the reason once its timeout and grace have passed', async () => {
    const skill = await cluster.createSkill('sleep 20', 2000);
    const location = await cluster.enqueue(skill);
    await until(
      'the run to start',
      async () => (await cluster.run(location))?.status === 'running',
      10_000,
    );
    worker.proc.kill('SIGKILL');
    await worker.exited;
    await redis.stop();
    await redis.start();
    worker = await cluster.startWorker();

    // started_at + timeout_ms (2 s) + 4 × SKILL_STALLED_INTERVAL_MS + SKILL_RECONCILE_INTERVAL_MS (5 s), one pass later.
    const run = await until(
      'the lost run to end',
      async () => {
        const r = await cluster.run(location);
        return r && FINISHED.includes(r.status) && r;
      },
      20_000,
      250,
    );
    expect(run.status).toBe('failed');
    expect(run.stderr).toMatch(/lost by the queue/);
    const ranFor = Date.parse(run.finished_at!) - Date.parse(run.started_at!);
    expect(ranFor).toBeGreaterThanOrEqual(7000);
    expect(ranFor).toBeLessThan(7000 + 2 * 1000 + 15_000);
  }, 60_000);

  it('SIGTERM while Redis is down: the worker lets its running run finish, then API and worker exit 0 long before the hard limit', async () => {
    const skill = await cluster.createSkill('sleep 1; echo finished');
    const location = await cluster.enqueue(skill);
    await until(
      'the run to start',
      async () => (await cluster.run(location))?.status === 'running',
      10_000,
    );
    await redis.stop();
    const stopping = Date.now();
    worker.proc.kill('SIGTERM');
    cluster.api.proc.kill('SIGTERM');
    // SHUTDOWN_TIMEOUT_MS is 5 s here: the hard limit (exit 1) comes 10 s after it.
    const stopped = async (server: ServerProcess) => {
      const { code } = await server.exited;
      return { role: server === worker ? 'worker' : 'api', code, ms: Date.now() - stopping };
    };
    const exits = await Promise.all([stopped(worker), stopped(cluster.api)]);
    const late = exits.find((e) => e.code !== 0 || e.ms >= 8000);
    // Which process was late, and what it printed, is what a failure here needs to be read.
    if (late) {
      const server = late.role === 'worker' ? worker : cluster.api;
      throw new Error(`${JSON.stringify(exits)}\n${server.output().slice(-6000)}`);
    }

    await redis.start();
    await cluster.startApi();
    const run = await cluster.run(location);
    expect(run).toMatchObject({ status: 'succeeded', stdout: 'finished\n' });
  }, 60_000);
});
