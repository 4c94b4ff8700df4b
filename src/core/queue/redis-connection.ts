import type { RedisOptions } from 'ioredis';

/** Reconnect soon after Redis is back (BullMQ's own default backs off to 20 s). */
const reconnect = (times: number) => Math.min(times * 200, 2000);

function fromUrl(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  const db = url.pathname.replace('/', '');
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: db ? Number(db) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    retryStrategy: reconnect,
  };
}

/** For Workers and QueueEvents: BullMQ needs their commands to wait out an outage (`maxRetriesPerRequest: null`). */
export function bullConnection(redisUrl: string): RedisOptions {
  return { maxRetriesPerRequest: null, ...fromUrl(redisUrl) };
}

/**
 * For Queues that add jobs while a request waits: fail at once while Redis is away (no offline
 * queue) and give up on a command after `commandTimeoutMs`, so a request never hangs on Redis.
 * What they fail to enqueue is already in the database, and the reconcilers enqueue it later.
 */
export function producerConnection(redisUrl: string, commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    ...fromUrl(redisUrl),
  };
}

/** Bounds a queue call: before its first connection a Queue waits for Redis however long it takes. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
