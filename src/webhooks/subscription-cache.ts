import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

import type { Audience } from '../core/events/event-catalogue';
import { ClusterInvalidation } from '../core/redis/cluster-invalidation';
import { RedisService } from '../core/redis/redis.service';

const MAX_ENTRIES = 10_000;

/** An active webhook as the outbox needs it: whom to deliver to and what it listens for. */
export interface Subscriber {
  id: string;
  events: string[];
}

/** The cache keys whose webhooks hear an audience's events: a user id, 'admins', or both. */
export function audienceKeys(audience: Audience): string[] {
  if (audience === 'admins') return ['admins'];
  return audience.alsoAdmins ? [audience.userId, 'admins'] : [audience.userId];
}

/**
 * Each audience's active webhooks, kept in memory so that emitting an event needs no lookup. Any
 * change that can alter them (a webhook created, changed, deleted or disabled; a user's role
 * changed or the user deleted) clears every replica (ClusterInvalidation), so the next event
 * anywhere sees it.
 */
@Injectable()
export class SubscriptionCache implements OnApplicationShutdown {
  private readonly entries = new Map<string, Subscriber[]>();
  private readonly invalidation: ClusterInvalidation;

  constructor(redis: RedisService) {
    this.invalidation = new ClusterInvalidation(
      redis,
      'webhook-subscriptions',
      () => this.entries.clear(),
      new Logger(SubscriptionCache.name),
    );
  }

  /** The subscribers of every key, reading the missing ones with one call to `load`. */
  async get(
    keys: string[],
    load: (missing: string[]) => Promise<Map<string, Subscriber[]>>,
  ): Promise<Map<string, Subscriber[]>> {
    const mark = this.invalidation.mark();
    const found = new Map<string, Subscriber[]>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const hit = this.entries.get(key);
      if (hit) found.set(key, hit);
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const loaded = await load(missing);
    const store = this.invalidation.mayStore(mark);
    if (store && this.entries.size + missing.length > MAX_ENTRIES) this.entries.clear();
    for (const key of missing) {
      const subscribers = loaded.get(key) ?? [];
      found.set(key, subscribers);
      if (store) this.entries.set(key, subscribers);
    }
    return found;
  }

  /** Call after the change is committed and before answering: every replica reads again. */
  invalidate(): Promise<void> {
    return this.invalidation.announce();
  }

  /**
   * Forgets this replica's entries only: for a transaction that read them and then rolled back,
   * which may have seen its own uncommitted changes (a role) that no other replica saw.
   */
  forget(): void {
    this.invalidation.clear();
  }

  onApplicationShutdown(): void {
    this.invalidation.close();
  }
}
