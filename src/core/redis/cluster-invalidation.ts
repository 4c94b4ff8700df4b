import type { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

import type { RedisService } from './redis.service';

/**
 * "Forget what you cached" for one kind of per-replica cache, told to every replica through Redis
 * pub/sub: locally at once, elsewhere as soon as the message arrives. While this replica is not
 * subscribed (Redis down or reconnecting) `mayStore` is false, so a missed message cannot leave
 * stale entries behind; each (re)subscription clears too.
 */
export class ClusterInvalidation {
  private readonly channel: string;
  private subscriber?: Redis;
  private live = false;
  /** Bumped on every clear, so a read that raced a change is not stored afterwards. */
  private generation = 0;

  constructor(
    private readonly redis: RedisService,
    topic: string,
    private readonly clearEntries: () => void,
    private readonly logger: Logger,
  ) {
    // Pub/sub channels span Redis databases: the database keeps installations on one Redis apart.
    this.channel = `openclaw:${topic}:${redis.client.options.db ?? 0}`;
  }

  /** Taken before reading what will be cached; hand it back to `mayStore` afterwards. */
  mark(): number {
    this.listen();
    return this.generation;
  }

  mayStore(mark: number): boolean {
    return this.live && mark === this.generation;
  }

  /** Call after the change is committed and before answering: every replica reads again. */
  async announce(): Promise<void> {
    this.clear();
    try {
      await this.redis.client.publish(this.channel, '*');
    } catch (err) {
      // The other replicas' subscribers see the same outage and stop caching.
      this.logger.warn(`Could not announce a change on ${this.channel}: ${(err as Error).message}`);
    }
  }

  /** This replica only. */
  clear(): void {
    this.generation++;
    this.clearEntries();
  }

  close(): void {
    this.subscriber?.disconnect();
  }

  private listen(): void {
    if (this.subscriber) return;
    const sub = this.redis.client.duplicate({ autoResubscribe: false, lazyConnect: false });
    this.subscriber = sub;
    sub.on('error', () => undefined);
    sub.on('message', () => this.clear());
    sub.on('close', () => {
      this.live = false;
      this.clear();
    });
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          this.clear();
          this.live = true;
        },
        () => undefined,
      );
    });
  }
}
