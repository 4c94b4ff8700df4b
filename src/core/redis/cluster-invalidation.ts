import { randomUUID } from 'node:crypto';

import type { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

import type { RedisService } from './redis.service';

/** How long a change waits for the other replicas to confirm they cleared (a wedged one must not block it). */
const ACK_TIMEOUT_MS = 1_000;

interface PendingAnnouncement {
  acked: number;
  /** The number of subscribers Redis handed the message to, once PUBLISH has answered. */
  expected?: number;
  done: () => void;
}

/**
 * "Forget what you cached" for one kind of per-replica cache, told to every replica through Redis
 * pub/sub. Each replica confirms on a second channel once it has cleared, and `announce` resolves
 * when every subscriber has (or after ACK_TIMEOUT_MS), so a change is in force on every replica
 * before its request is answered — a message merely in flight would let the next request on another
 * replica still see the old state. While this replica is not subscribed (Redis down or reconnecting)
 * `mayStore` is false, so a missed message cannot leave stale entries behind; each (re)subscription
 * clears too.
 */
export class ClusterInvalidation {
  private readonly channel: string;
  private readonly ackChannel: string;
  private readonly replica = randomUUID();
  private readonly pending = new Map<string, PendingAnnouncement>();
  private sequence = 0;
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
    this.ackChannel = `${this.channel}:cleared`;
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
    const id = `${this.replica}:${++this.sequence}`;
    let timer: NodeJS.Timeout | undefined;
    const confirmed = new Promise<void>((resolve) => {
      this.pending.set(id, { acked: 0, done: resolve });
      timer = setTimeout(resolve, ACK_TIMEOUT_MS);
    });
    try {
      const receivers = await this.redis.client.publish(this.channel, id);
      // Only this replica's own subscriber hears confirmations; without it none can be counted.
      if (receivers > 0 && this.live) {
        const entry = this.pending.get(id)!;
        entry.expected = receivers;
        if (entry.acked >= receivers) entry.done();
        await confirmed;
        if (entry.acked < receivers) {
          this.logger.warn(
            `${receivers - entry.acked} of ${receivers} replicas did not confirm a change on ${this.channel} within ${ACK_TIMEOUT_MS} ms`,
          );
        }
      }
    } catch (err) {
      // The other replicas' subscribers see the same outage and stop caching.
      this.logger.warn(`Could not announce a change on ${this.channel}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
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
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.ackChannel) return this.acknowledged(message);
      this.clear();
      this.redis.client.publish(this.ackChannel, message).catch(() => undefined);
    });
    sub.on('close', () => {
      this.live = false;
      this.clear();
    });
    sub.on('ready', () => {
      sub.subscribe(this.channel, this.ackChannel).then(
        () => {
          this.clear();
          this.live = true;
        },
        () => undefined,
      );
    });
  }

  private acknowledged(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    entry.acked++;
    if (entry.expected !== undefined && entry.acked >= entry.expected) entry.done();
  }
}
