import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

import type { QuotaLimitChanges } from '../core/auth/user-quota';
import { RedisService } from '../core/redis/redis.service';
import { Clock } from './clock';
import { countersOf } from './quota-limits';

const RETRY_MS = 5_000;
const USER_COUNTERS = 'quota:user:*';

/**
 * Drops quota counters when the limits on them change (a user's quota, the default quota), so
 * they are rebuilt from the usage records when next read. A call that no limit watches adds to no
 * counter (QuotaService), so a counter that outlived its limit may be short: it must not be read
 * again once a limit watches it. Called once every replica has cleared its cached credentials or
 * config (ClusterInvalidation), so no replica settles a call by the old limits afterwards; a call
 * still holding a principal read before the change is counted anyway (`CredentialCache.isCurrent`).
 * Left open: a replica that did not confirm the change within ClusterInvalidation's timeout.
 */
@Injectable()
export class QuotaCounterResets implements QuotaLimitChanges, OnApplicationShutdown {
  private readonly logger = new Logger(QuotaCounterResets.name);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
  ) {}

  /** After a user's own quota changed. */
  async user(userId: string): Promise<void> {
    await this.attempt(() => this.dropUser(userId));
  }

  /** After the config's default quota changed: it may apply to any user. */
  async allUsers(): Promise<void> {
    await this.attempt(() => this.dropAllUsers());
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** A drop that fails (Redis away) is retried until it succeeds: a short counter must not stay. */
  private async attempt(drop: () => Promise<void>): Promise<void> {
    try {
      await drop();
    } catch (err) {
      this.logger.warn(`Quota counters not reset, retrying: ${(err as Error).message}`);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.attempt(drop);
      }, RETRY_MS);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private async dropUser(userId: string): Promise<void> {
    const keys = countersOf({ userId }, this.clock.now()).map((c) => c.key);
    await this.redis.client.del(...keys);
  }

  private async dropAllUsers(): Promise<void> {
    const client = this.redis.client;
    // SCAN's pattern and answers carry the key prefix; commands add it themselves.
    const prefix = client.options.keyPrefix ?? '';
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(
        cursor,
        'MATCH',
        `${prefix}${USER_COUNTERS}`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length) await client.unlink(...keys.map((k) => k.slice(prefix.length)));
    } while (cursor !== '0');
  }
}
