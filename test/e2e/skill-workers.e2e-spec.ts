import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

import { flushQueues } from '../support/queues';
import { ServerProcess, spawnServer } from '../support/server-process';
import { resetDatabase } from '../support/test-app';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_REDIS_URL, testEnv } from '../support/test-env';
import { sleep } from '../support/wait';

const SKILLS = '/api/v1/skills';
const FINISHED = ['succeeded', 'failed', 'timed_out'];

// A Redis database of this file's own: in-process apps of other test files run skill-runs workers
// too, and one of them must never take (or flush) the jobs of these processes.
const REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${8 + (process.pid % 7)}`;
  return url.toString();
})();

interface Run {
  id: string;
  status: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  started_at: string | null;
  finished_at: string | null;
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;

/**
 * The built server as separate API and worker processes (SPEC §1 ROLE), sharing one database and
 * one Redis the way two Kubernetes Deployments do.
 */
describe('skill runs across API and worker processes (SPEC §1, §8, §11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-skill-workers-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shared.db')}`;
  const servers: ServerProcess[] = [];
  let api: ServerProcess;
  let worker: ServerProcess | undefined;
  let http: TestAgent;
  let token: string;

  function start(role: 'api' | 'worker', env: Record<string, string> = {}): ServerProcess {
    const server = spawnServer({
      ROLE: role,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      SHUTDOWN_TIMEOUT_MS: '15000',
      // The scripts mark their progress in this test's directory, which bubblewrap would hide.
      ...(role === 'worker' ? { SKILL_STALLED_INTERVAL_MS: '1000', SKILL_SANDBOX: 'none' } : {}),
      ...env,
    });
    servers.push(server);
    return server;
  }

  async function startWorker(): Promise<ServerProcess> {
    const server = start('worker');
    await server.waitForOutput(/listening on/);
    return server;
  }

  /** The worker of the tests so far, or a new one: each test also runs alone (jest -t). */
  async function liveWorker(): Promise<ServerProcess> {
    if (!worker || worker.proc.exitCode !== null || worker.proc.signalCode !== null) {
      worker = await startWorker();
    }
    return worker;
  }

  const auth = <T extends { set(k: string, v: string): T }>(req: T) =>
    req.set('Authorization', `Bearer ${token}`);

  async function createSkill(script: string): Promise<string> {
    const name = `w-${randomUUID().slice(0, 13)}`;
    const res = await auth(http.post(SKILLS)).send({ name, script });
    expect(res.status).toBe(201);
    return name;
  }

  /** Queues a run without waiting for it: 202 and the Location to follow. */
  async function enqueue(name: string): Promise<string> {
    const res = await auth(http.post(`${SKILLS}/${name}/run?wait=false`)).send({});
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`${SKILLS}/${name}/runs/${res.body.id}`);
    return res.headers.location;
  }

  async function getRun(location: string): Promise<Run> {
    const res = await auth(http.get(location));
    expect(res.status).toBe(200);
    return res.body as Run;
  }

  async function waitFor(
    location: string,
    done: (run: Run) => boolean,
    timeoutMs: number,
  ): Promise<Run> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await getRun(location);
      if (done(run) || Date.now() > deadline) return run;
      await sleep(100);
    }
  }

  beforeAll(async () => {
    // PostgreSQL (CI) is shared with the other test files: start from an empty schema, as they do.
    if (process.env.DATABASE_URL) await resetDatabase(testEnv());
    await flushQueues(REDIS_URL);
    api = start('api', { SKILL_RUN_WAIT_MS: '1000' });
    await api.waitForOutput(/listening on/);
    http = request(`http://127.0.0.1:${api.port}`);
    const login = await http
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    token = login.body.access_token;
  });

  afterAll(async () => {
    for (const server of servers) {
      if (server.proc.exitCode === null && server.proc.signalCode === null) {
        server.proc.kill('SIGKILL');
      }
      await server.exited;
    }
    // Scripts orphaned by the SIGKILLed workers: their command lines name this test's directory.
    const orphans = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout;
    for (const pid of orphans.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await flushQueues(REDIS_URL);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ROLE=api never runs a job: runs stay queued until a worker starts, which then runs them', async () => {
    const name = await createSkill('echo picked-up');
    const first = await enqueue(name);
    const waited = await auth(http.post(`${SKILLS}/${name}/run`)).send({});
    expect(waited.status).toBe(202);
    expect(waited.body.status).toBe('queued');
    const second = waited.headers.location;

    expect(worker).toBeUndefined();
    await sleep(1500);
    for (const location of [first, second]) {
      const run = await getRun(location);
      expect(run).toMatchObject({ status: 'queued', started_at: null, finished_at: null });
    }

    worker = await startWorker();
    for (const location of [first, second]) {
      const run = await waitFor(location, (r) => FINISHED.includes(r.status), 10_000);
      expect(run).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: 'picked-up\n' });
    }
    // The worker serves no /metrics; the API process exports what the workers counted.
    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^openclaw_skill_runs_total\{status="succeeded"\} 2$/m);
  });

  it('ROLE=worker serves /health/live but not the API', async () => {
    const direct = request(`http://127.0.0.1:${(await liveWorker()).port}`);
    await direct.get('/health/live').expect(200);
    for (const res of [
      await auth(direct.get(SKILLS)),
      await auth(direct.post(`${SKILLS}/anything/run`)).send({}),
      await direct.get(SKILLS),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });

  it('a worker killed mid-run (SIGKILL) never leaves its run "running": it ends failed, not run again', async () => {
    const marker = join(dir, `started-${randomUUID()}`);
    const name = await createSkill(`echo started >> ${marker}; sleep 5; echo finished`);
    const killed = await liveWorker();
    const location = await enqueue(name);
    const running = await waitFor(
      location,
      (r) => r.status === 'running' && lines(marker) > 0,
      10_000,
    );
    expect(running.status).toBe('running');

    killed.proc.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    // Its script goes with it rather than running on beside the retry.
    const survivors = async () => {
      for (const end = Date.now() + 3000; Date.now() < end; await sleep(100)) {
        const found = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim();
        if (!found) return '';
      }
      return spawnSync('pgrep', ['-af', marker], { encoding: 'utf8' }).stdout.trim();
    };
    expect(await survivors()).toBe('');
    worker = await startWorker();

    const run = await waitFor(location, (r) => FINISHED.includes(r.status), 20_000);
    // Scripts are not assumed idempotent (SPEC §8): the run fails with the reason, once.
    expect(run).toMatchObject({ status: 'failed', stdout: '' });
    expect(run.stderr).toMatch(/worker running this skill stopped/);
    expect(run.finished_at).not.toBeNull();
    expect(lines(marker)).toBe(1);
  }, 40_000);

  it('SIGTERM to a worker mid-run: the worker finishes the run, then exits 0', async () => {
    const marker = join(dir, `started-${randomUUID()}`);
    const name = await createSkill(`echo started >> ${marker}; sleep 2; echo done`);
    const stopping = await liveWorker();
    const location = await enqueue(name);
    const running = await waitFor(
      location,
      (r) => r.status === 'running' && lines(marker) > 0,
      10_000,
    );
    expect(running.status).toBe('running');

    stopping.proc.kill('SIGTERM');
    const exit = await stopping.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });

    const run = await getRun(location);
    expect(run).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: 'done\n' });
    expect(lines(marker)).toBe(1);
  });
});
