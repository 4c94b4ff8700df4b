import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';

import { RedisService } from '../redis/redis.service';
import type { Principal } from './principal';

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  /** Epoch ms after which the entry must be read again (its TTL or the credential's expiry). */
  until: number;
}

/** What a credential resolves to, with what the guard still checks on every request. */
export interface CachedCredential {
  principal: Principal;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/**
 * Resolved credentials kept in memory, so a request with a known API key or JWT needs no database
 * read. Any change to a key or a user clears every replica's cache: locally before the change's
 * response is sent, elsewhere through Redis pub/sub. While this replica is not subscribed (Redis
 * down or reconnecting) it caches nothing, so a missed message cannot leave a revoked key usable.
 */
@Injectable()
export class CredentialCache implements OnApplicationShutdown {
  private readonly logger = new Logger(CredentialCache.name);
  private readonly entries = new Map<string, Entry<CachedCredential>>();
  private readonly channel: string;
  private subscriber?: Redis;
  private live = false;
  /** Bumped on every clear, so a read that raced a change is not stored afterwards. */
  private generation = 0;

  constructor(private readonly redis: RedisService) {
    this.channel = `openclaw:credentials:${redis.client.options.db ?? 0}`;
  }

  /** The cached credential, or a fresh one from `load` (cached only if nothing changed meanwhile). */
  async resolve(
    key: string,
    load: () => Promise<CachedCredential>,
  ): Promise<CachedCredential> {
    this.subscribe();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const generation = this.generation;
    const value = await load();
    if (this.live && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const until = Math.min(now + TTL_MS, value.expiresAt ?? Infinity);
      this.entries.set(key, { value, until });
    }
    return value;
  }

  /** Call after the change is committed and before answering: every replica reads again. */
  async invalidate(): Promise<void> {
    this.clear();
    try {
      await this.redis.client.publish(this.channel, '*');
    } catch (err) {
      // The other replicas' subscribers see the same outage and stop caching.
      this.logger.warn(`Could not announce a credential change: ${(err as Error).message}`);
    }
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
