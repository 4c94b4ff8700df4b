import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';

import { EnvService } from '../env/env.service';
import { closeIfStartFails } from '../startup/startup-scope';

/** The shared Redis connection for counters and health (BullMQ keeps its own). */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(env: EnvService) {
    this.client = new Redis(env.get('redis').url, {
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      lazyConnect: false,
      keyPrefix: 'openclaw:',
    });
    // Errors surface through commands and health checks; an unhandled 'error' event would crash.
    this.client.on('error', () => undefined);
    closeIfStartFails(() => this.client.disconnect());
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
