import { ChildProcess, spawn } from 'node:child_process';

import Redis from 'ioredis';

import { freePort } from './free-port';

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL, so nothing is saved); the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty: no persistence, as after a restart without it. */
  start(): Promise<void>;
  /** Empties it while it runs. */
  flush(): Promise<void>;
}

/**
 * A redis-server child that one test owns, so it can take Redis away without touching the shared
 * one. Call stop() in afterAll (also on failure): the child dies with it.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      const up = await probe
        .connect()
        .then(() => probe.ping())
        .then(
          () => true,
          () => false,
        );
      probe.disconnect();
      if (up) return;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async function flush(): Promise<void> {
    const client = new Redis({ port, maxRetriesPerRequest: 1 });
    await client.flushall();
    await client.quit();
  }

  await start();
  return { port, url: `redis://127.0.0.1:${port}/0`, start, stop, flush };
}
