import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FaultCluster, FINISHED } from '../support/fault-cluster';
import { PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { resetDatabase } from '../support/test-app';
import { testEnv } from '../support/test-env';
import { until } from '../support/wait';

const STALLED_INTERVAL_MS = 2000;

/** Whether `pid` is a process that has not ended (gone, or a zombie waiting to be reaped, is ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A worker killed mid-run (SPEC §8): its run ends `failed` within two stalled intervals, not re-run. */
describe('a worker killed mid-run (SPEC §8, README "Operations: faults")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-faults-workers-'));
  const databaseUrl = process.env.DATABASE_URL || `sqlite:${join(dir, 'shared.db')}`;
  let redis: PrivateRedis;
  let cluster: FaultCluster;

  beforeAll(async () => {
    if (process.env.DATABASE_URL) await resetDatabase(testEnv({ DATABASE_URL: databaseUrl }));
    redis = await startPrivateRedis();
    cluster = new FaultCluster({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      SKILL_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      // The script leaves a marker in this test's directory, which bubblewrap's private file system would hide.
      SKILL_SANDBOX: 'none',
    });
    await cluster.startApi();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 of the worker running a run, a second worker alive: the run ends failed with the reason within 2 intervals, and its script is not run again', async () => {
    const marker = join(dir, 'started');
    const skill = await cluster.createSkill(
      `echo started >> ${marker}; sleep 30; echo finished`,
      60_000,
    );
    const victim = await cluster.startWorker();
    const location = await cluster.enqueue(skill);
    await until(
      'the run to start',
      async () => (await cluster.run(location))?.status === 'running',
      10_000,
    );
    // The survivor is up before the kill, so the time measured is recovery alone.
    await cluster.startWorker();

    // The victim's script launcher, its child: it has to end with it, not linger as an orphan.
    const launcher = spawnSync('pgrep', ['-P', String(victim.proc.pid), '-f', 'launcher-main'], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(launcher).toMatch(/^\d+$/);

    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const run = await until(
      'the run to end',
      async () => {
        const r = await cluster.run(location);
        return r && FINISHED.includes(r.status) && r;
      },
      4 * STALLED_INTERVAL_MS,
      50,
    );
    const recoveryMs = Date.now() - killedAt;

    expect(run.status).toBe('failed');
    expect(run.stderr).toMatch(/worker running this skill stopped/);
    expect(run.finished_at).not.toBeNull();
    expect(recoveryMs).toBeLessThanOrEqual(2 * STALLED_INTERVAL_MS);
    // Not run again by the survivor (scripts are not assumed idempotent).
    await new Promise((r) => setTimeout(r, STALLED_INTERVAL_MS));
    const lines = spawnSync('cat', [marker], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    expect(lines).toHaveLength(1);
    await until('the launcher to end', () => Promise.resolve(!alive(Number(launcher))), 5000);
  }, 60_000);
});
