import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';

import { EnvService } from '../env/env.service';
import { closeIfStartFails } from '../startup/startup-scope';
import { TurnBatchingRedis } from './turn-batching-redis';

/** The shared Redis connection for counters and health (BullMQ keeps its own). */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  readonly client: Redis;

  constructor(env: EnvService) {
    this.client = new TurnBatchingRedis(env.get('redis').url, {
      // While Redis is away a command fails at once instead of waiting in ioredis' offline queue,
      // and one sent to a Redis that stopped answering gives up after the command timeout.
      enableOfflineQueue: false,
      commandTimeout: env.get('REDIS_COMMAND_TIMEOUT_MS'),
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      connectTimeout: 3000,
      lazyConnect: false,
      keyPrefix: 'openclaw:',
    });
    // Errors surface through commands and health checks; an unhandled 'error' event would crash.
    this.client.on('error', () => undefined);
    closeIfStartFails(() => this.client.disconnect());
  }

  /** Without an offline queue, commands sent before the first connection would fail: wait for it (bounded). */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      onReady = resolve;
      this.client.once('ready', resolve);
      timer = setTimeout(resolve, 3000);
    });
    clearTimeout(timer);
    if (onReady) this.client.off('ready', onReady);
  }

  async ping(timeoutMs = 1500): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => undefined);
    // Also stops reconnect timers when Redis was never reached.
    this.client.disconnect();
  }
}
