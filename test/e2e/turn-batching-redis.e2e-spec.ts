import { randomUUID } from 'node:crypto';

import Redis from 'ioredis';

import { TurnBatchingRedis } from '../../src/core/redis/turn-batching-redis';
import { TEST_REDIS_URL } from '../support/test-env';
import { until } from '../support/wait';

describe('the shared Redis client sends a turn of the event loop in one write', () => {
  let client: TurnBatchingRedis;
  let admin: Redis;
  let key: string;

  beforeEach(async () => {
    client = new TurnBatchingRedis(TEST_REDIS_URL, { keyPrefix: 'openclaw:test:' });
    admin = new Redis(TEST_REDIS_URL);
    key = `batch-${randomUUID()}`;
    await until('the client is ready', async () => client.status === 'ready');
  });
  afterEach(async () => {
    await client.del(key);
    client.disconnect();
    admin.disconnect();
  });

  it('holds the commands of one turn, then sends them together and answers each in order', async () => {
    client.defineCommand('addTwice', {
      numberOfKeys: 1,
      lua: "return redis.call('INCRBY', KEYS[1], 2)",
    });
    const writes: number[] = [];
    const socket = client.stream;
    const writev = socket._writev?.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (chunks, cb) => (writes.push(chunks.length), writev!(chunks, cb));
    socket._write = (chunk, enc, cb) => (writes.push(1), write(chunk, enc, cb));

    const answers: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) answers.push(client.incr(key));
    answers.push((client as unknown as { addTwice(k: string): Promise<number> }).addTwice(key));
    expect(socket.writableCorked).toBe(1);

    expect(await Promise.all(answers)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i + 1),
      52,
    ]);
    expect(socket.writableCorked).toBe(0);
    expect(writes[0]).toBe(51);
    expect(Number(await admin.get(`openclaw:test:${key}`))).toBe(52);
  });

  it('answers across reconnects: a connection dropped by Redis leaves nothing corked or stuck', async () => {
    await client.set(key, '1');
    const id = await client.client('ID');
    await admin.client('KILL', 'ID', String(id));
    await until('the client reconnected', async () => {
      try {
        return (await client.get(key)) === '1';
      } catch {
        return false;
      }
    });
    const replies = await Promise.all([client.incr(key), client.incr(key), client.get(key)]);
    expect(replies).toEqual([2, 3, '3']);
    expect(client.stream.writableCorked).toBe(0);
  });
});
