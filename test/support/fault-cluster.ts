import { randomUUID } from 'node:crypto';

import request from 'supertest';

import { ServerProcess, spawnServer } from './server-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './test-env';

export interface Run {
  id: string;
  status: string;
  stdout: string;
  stderr: string;
  started_at: string | null;
  finished_at: string | null;
}

export const FINISHED = ['succeeded', 'failed', 'timed_out'];

/**
 * The built server as separate API and worker processes, pointed at a database and Redis the test
 * controls (SPEC §1 ROLE): what the fault drills run against. stopAll() in afterAll.
 */
export class FaultCluster {
  readonly servers: ServerProcess[] = [];
  api!: ServerProcess;
  token = '';

  constructor(private readonly env: Record<string, string>) {}

  http() {
    return request(`http://127.0.0.1:${this.api.port}`);
  }

  auth<T extends { set(k: string, v: string): T }>(req: T, token = this.token): T {
    return req.set('Authorization', `Bearer ${token}`);
  }

  spawn(role: 'api' | 'worker', env: Record<string, string> = {}): ServerProcess {
    const server = spawnServer({
      ROLE: role,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...this.env,
      ...env,
    });
    this.servers.push(server);
    return server;
  }

  /** The API first (it runs the migrations), then logs the admin in. */
  async startApi(env: Record<string, string> = {}): Promise<void> {
    this.api = this.spawn('api', env);
    await this.api.waitForOutput(/listening on/, 30_000);
    const login = await this.http()
      .post('/api/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    if (login.status !== 200) throw new Error(`admin login: ${login.status}`);
    this.token = login.body.access_token;
  }

  async startWorker(env: Record<string, string> = {}): Promise<ServerProcess> {
    const worker = this.spawn('worker', env);
    await worker.waitForOutput(/listening on/, 30_000);
    return worker;
  }

  async createSkill(script: string, timeoutMs?: number): Promise<string> {
    const name = `f-${randomUUID().slice(0, 13)}`;
    const res = await this.auth(this.http().post('/api/v1/skills')).send({
      name,
      script,
      ...(timeoutMs ? { timeout_ms: timeoutMs } : {}),
    });
    if (res.status !== 201) throw new Error(`create skill: ${res.status}`);
    return name;
  }

  /** Queues a run without waiting: the run's location. */
  async enqueue(skill: string): Promise<string> {
    const res = await this.auth(this.http().post(`/api/v1/skills/${skill}/run?wait=false`)).send(
      {},
    );
    if (res.status !== 202) throw new Error(`run: ${res.status} ${JSON.stringify(res.body)}`);
    return res.headers.location as string;
  }

  /** The run, or undefined while the API cannot answer (its database is down). */
  async run(location: string): Promise<Run | undefined> {
    const res = await this.auth(this.http().get(location)).catch(() => undefined);
    return res?.status === 200 ? (res.body as Run) : undefined;
  }

  async stopAll(): Promise<void> {
    for (const server of this.servers) {
      if (server.proc.exitCode === null && server.proc.signalCode === null)
        server.proc.kill('SIGKILL');
      await server.exited;
    }
  }
}
