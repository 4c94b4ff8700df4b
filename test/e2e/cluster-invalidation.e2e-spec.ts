import { randomUUID } from 'node:crypto';

import type { Logger } from '@nestjs/common';
import Redis from 'ioredis';

import { ClusterInvalidation } from '../../src/core/redis/cluster-invalidation';
import type { RedisService } from '../../src/core/redis/redis.service';
import { TEST_REDIS_URL } from '../support/test-env';
import { until } from '../support/wait';

/** One replica's cache of one kind: how often it was cleared, on its own Redis connection. */
interface Replica {
  invalidation: ClusterInvalidation;
  clears: number;
  client: Redis;
}

describe('cluster invalidation: a change is in force on every replica when it is answered', () => {
  const opened: Replica[] = [];
  const extra: Redis[] = [];
  let topic: string;
  let warnings: string[];
  const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;

  beforeEach(() => {
    topic = `test-${randomUUID()}`;
    warnings = [];
  });
  afterEach(() => {
    for (const r of opened.splice(0)) {
      r.invalidation.close();
      r.client.disconnect();
    }
    for (const c of extra.splice(0)) c.disconnect();
  });

  async function replica(): Promise<Replica> {
    const client = new Redis(TEST_REDIS_URL, { keyPrefix: 'openclaw:' });
    const r: Replica = { client, clears: 0 } as Replica;
    r.invalidation = new ClusterInvalidation(
      { client } as RedisService,
      topic,
      () => r.clears++,
      logger,
    );
    opened.push(r);
    await until('the replica to subscribe', async () =>
      r.invalidation.mayStore(r.invalidation.mark()),
    );
    return r;
  }

  it('announce resolves only after every other replica has cleared (checked 50 times over)', async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    for (let i = 0; i < 50; i++) {
      const before = [b.clears, c.clears];
      await a.invalidation.announce();
      // Synchronously after the announcement: no tick for a late message to sneak in.
      expect([b.clears > before[0], c.clears > before[1]]).toEqual([true, true]);
    }
  });

  it('a replica that never confirms delays a change by at most a second, never blocks it', async () => {
    const a = await replica();
    const b = await replica();
    // Subscribed to the channel but never answering: a wedged or older replica.
    const silent = new Redis(TEST_REDIS_URL);
    extra.push(silent);
    await silent.subscribe(`openclaw:${topic}:${silent.options.db ?? 0}`);
    const started = Date.now();
    const before = b.clears;
    await a.invalidation.announce();
    const took = Date.now() - started;
    expect(b.clears).toBeGreaterThan(before);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3_000);
    expect(warnings).toEqual([expect.stringMatching(/^1 of 3 replicas did not confirm a change/)]);
  });

  it('with Redis unreachable the change still clears this replica and answers', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    let clears = 0;
    const invalidation = new ClusterInvalidation(
      { client } as RedisService,
      topic,
      () => clears++,
      logger,
    );
    await invalidation.announce();
    expect(clears).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/^Could not announce a change/)]);
    expect(invalidation.mayStore(invalidation.mark())).toBe(false);
    invalidation.close();
    client.disconnect();
  });
});
