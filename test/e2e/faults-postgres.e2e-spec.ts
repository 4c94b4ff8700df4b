import { FaultCluster, FINISHED, Run } from '../support/fault-cluster';
import { PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { sleep, until } from '../support/wait';

/** The bound the README states: every run final this long after the database is back. */
const FINAL_AFTER_DB_BACK_MS = 20_000;

/**
 * PostgreSQL stopped for a while during runs (SPEC §8 "never stuck", §11 Faults), with the API and
 * a worker as separate processes on a private cluster the test owns.
 */
describe('a PostgreSQL outage during skill runs (SPEC §8, §11 Faults)', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let cluster: FaultCluster;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    redis = await startPrivateRedis();
    cluster = new FaultCluster({
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      SKILL_CONCURRENCY: '4',
      SKILL_RECONCILE_INTERVAL_MS: '1000',
      SKILL_STALLED_INTERVAL_MS: '2000',
    });
    await cluster.startApi();
    await cluster.startWorker();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await redis?.stop();
    await pg?.destroy();
  });

  it('stopped ~12 s with 4 runs running and 2 queued: afterwards every run is final, none stuck', async () => {
    const skill = await cluster.createSkill('sleep 2; echo ok');
    const locations: string[] = [];
    for (let i = 0; i < 6; i++) locations.push(await cluster.enqueue(skill));
    await until(
      '4 runs running',
      async () => {
        const runs = await Promise.all(locations.map((l) => cluster.run(l)));
        return runs.filter((r) => r?.status === 'running').length === 4;
      },
      10_000,
    );

    await pg.stop();
    // The running scripts end while the database is away; their results must still land.
    await sleep(12_000);
    await pg.start();
    const back = Date.now();

    const runs = await until(
      'every run to be final',
      async () => {
        const all = await Promise.all(locations.map((l) => cluster.run(l)));
        return all.every((r) => r && FINISHED.includes(r.status)) && (all as Run[]);
      },
      FINAL_AFTER_DB_BACK_MS,
      250,
    );
    expect(Date.now() - back).toBeLessThan(FINAL_AFTER_DB_BACK_MS);
    // The scripts ran to their end: their results were kept, not replaced by a failure.
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
    for (const r of runs) expect(r.stdout).toBe('ok\n');
  }, 60_000);
});
