import { Worker } from 'bullmq';

import { loadEnv } from '../../src/core/env/env';
import { EnvService } from '../../src/core/env/env.service';
import { QUEUE_PREFIX } from '../../src/core/queue/queues';
import { bullConnection, withTimeout } from '../../src/core/queue/redis-connection';
import { WorkerShutdown } from '../../src/core/queue/worker-shutdown';
import { RedisService } from '../../src/core/redis/redis.service';
import { startPrivateRedis } from '../support/private-redis';

/**
 * SIGTERM right after Redis died (SPEC §11 Faults): ioredis reads 'ready' until it has handled the
 * socket's close, and a graceful BullMQ close decided on that waited for Redis until the hard limit
 * (exit 1). The server lost that race about one time in eight, so the drill repeats it.
 */
describe('A worker stopped just after Redis was killed', () => {
  it('closes within the command timeout every time, with no job running', async () => {
    const redis = await startPrivateRedis();
    const env = new EnvService(loadEnv({ REDIS_URL: redis.url }, false));
    try {
      for (let i = 0; i < 12; i++) {
        const shared = new RedisService(env);
        await shared.onModuleInit();
        const worker = new Worker('drill', async () => undefined, {
          connection: bullConnection(redis.url),
          prefix: QUEUE_PREFIX,
          // Its timer outlives a forced close (up to the 30 s interval) and would keep Jest waiting.
          skipStalledCheck: true,
        });
        worker.on('error', () => undefined);
        await worker.waitUntilReady();
        const stop = new WorkerShutdown(shared);

        await redis.stop();
        const closed = await withTimeout(
          stop.close(worker),
          env.get('REDIS_COMMAND_TIMEOUT_MS') + 1000,
          `Closing (try ${i + 1})`,
        ).then(
          () => 'closed',
          (err: Error) => err.message,
        );
        await redis.start();
        // A close still waiting for Redis ends now that it is back: a failure leaves nothing open.
        await stop.close(worker);
        await shared.onApplicationShutdown();
        expect(closed).toBe('closed');
      }
    } finally {
      await redis.stop();
    }
  }, 60_000);
});
