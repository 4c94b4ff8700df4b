import Redis from 'ioredis';

/** Removes every BullMQ key of the server (its `openclaw:` prefix) from the Redis at `url`. */
export async function flushQueues(url: string): Promise<void> {
  const redis = new Redis(url);
  const keys = await redis.keys('openclaw:*');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}
