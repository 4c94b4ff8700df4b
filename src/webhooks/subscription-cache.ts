import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';

import { RedisService } from '../core/redis/redis.service';
import type { Audience } from './webhook-events';

const MAX_ENTRIES = 10_000;

/** An active webhook as the outbox needs it: whom to deliver to and what it listens for. */
export interface Subscriber {
  id: string;
  events: string[];
}

export function audienceKey(audience: Audience): string {
  return audience === 'admins' ? 'admins' : audience.userId;
}

/**
 * Each audience's active webhooks, kept in memory so that emitting an event needs no lookup. Any
 * change that can alter them (a webhook created, changed, deleted or disabled; a user's role
 * changed or the user deleted) clears every replica: locally before the change's response is
 * sent, elsewhere through Redis pub/sub. While this replica is not subscribed (Redis down or
 * reconnecting) nothing is cached, so a missed message cannot leave a new webhook unnoticed.
 */
@Injectable()
export class SubscriptionCache implements OnApplicationShutdown {
  private readonly logger = new Logger(SubscriptionCache.name);
  private readonly entries = new Map<string, Subscriber[]>();
  private readonly channel: string;
  private subscriber?: Redis;
  private live = false;
  /** Bumped on every clear, so a read that raced a change is not stored afterwards. */
  private generation = 0;

  constructor(private readonly redis: RedisService) {
    this.channel = `openclaw:webhook-subscriptions:${redis.client.options.db ?? 0}`;
  }

  /** The subscribers of every key, reading the missing ones with one call to `load`. */
  async get(
    keys: string[],
    load: (missing: string[]) => Promise<Map<string, Subscriber[]>>,
  ): Promise<Map<string, Subscriber[]>> {
    this.subscribe();
    const found = new Map<string, Subscriber[]>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const hit = this.entries.get(key);
      if (hit) found.set(key, hit);
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const generation = this.generation;
    const loaded = await load(missing);
    const store = this.live && generation === this.generation;
    if (store && this.entries.size + missing.length > MAX_ENTRIES) this.entries.clear();
    for (const key of missing) {
      const subscribers = loaded.get(key) ?? [];
      found.set(key, subscribers);
      if (store) this.entries.set(key, subscribers);
    }
    return found;
  }

  /** Call after the change is committed and before answering: every replica reads again. */
  async invalidate(): Promise<void> {
    this.clear();
    try {
      await this.redis.client.publish(this.channel, '*');
    } catch (err) {
      // The other replicas' subscribers see the same outage and stop caching.
      this.logger.warn(`Could not announce a webhook change: ${(err as Error).message}`);
    }
  }

  /**
   * Forgets this replica's entries only: for a transaction that read them and then rolled back,
   * which may have seen its own uncommitted changes (a role) that no other replica saw.
   */
  forget(): void {
    this.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }

  private clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private subscribe(): void {
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
