import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

import { ClusterInvalidation } from '../redis/cluster-invalidation';
import { RedisService } from '../redis/redis.service';
import type { Principal } from './principal';

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;
// Longer than any cache entry lives: after it, every replica has read the user again anyway.
const TOKEN_VERSION_TTL_S = 300;

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
  /** A user's current token version: a JWT carrying an older one is revoked. */
  tokenVersion?: number;
}

/**
 * Resolved credentials kept in memory, so a request with a known API key or JWT needs no database
 * read. Any change to a key or a user clears every replica's cache (ClusterInvalidation), so a
 * revoked key or a disabled user is refused by the next request anywhere.
 */
@Injectable()
export class CredentialCache implements OnApplicationShutdown {
  private readonly entries = new Map<string, Entry<CachedCredential>>();
  /** The reads under way, by key. */
  private readonly loading = new Map<string, { mark: number; value: Promise<CachedCredential> }>();
  private readonly invalidation: ClusterInvalidation;

  constructor(private readonly redis: RedisService) {
    this.invalidation = new ClusterInvalidation(
      redis,
      'credentials',
      () => this.entries.clear(),
      new Logger(CredentialCache.name),
    );
  }

  /**
   * The cached credential, or a fresh one from `load` (cached only if nothing changed meanwhile).
   * Requests for the same key while it is read share that read: when an entry expires under load,
   * every request in flight with that credential would otherwise read it again.
   */
  async resolve(key: string, load: () => Promise<CachedCredential>): Promise<CachedCredential> {
    const mark = this.invalidation.mark();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    // Joined only while no change was announced since it began: a read that started before a
    // change may return the old credential.
    const under = this.loading.get(key);
    if (under?.mark === mark) return under.value;
    const loading = { mark, value: this.read(mark, now, key, load) };
    this.loading.set(key, loading);
    try {
      return await loading.value;
    } finally {
      if (this.loading.get(key) === loading) this.loading.delete(key);
    }
  }

  private async read(
    mark: number,
    now: number,
    key: string,
    load: () => Promise<CachedCredential>,
  ): Promise<CachedCredential> {
    const value = await load();
    value.principal.cacheMark = mark;
    if (this.invalidation.mayStore(mark)) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const until = Math.min(now + TTL_MS, value.expiresAt ?? Infinity);
      this.entries.set(key, { value, until });
    }
    return value;
  }

  /**
   * Records a user's new token version where every replica reads it, before the change is answered:
   * a replica still holding the old one in its cache (the invalidation message not yet handled)
   * sees the difference on the next request and reads the user again.
   */
  async recordTokenVersion(userId: string, version: number): Promise<void> {
    try {
      await this.redis.client.set(`token-version:${userId}`, version, 'EX', TOKEN_VERSION_TTL_S);
    } catch {
      // Redis away: no replica caches credentials meanwhile (see ClusterInvalidation).
    }
  }

  /** The newest token version recorded for the user, or null when none is known. */
  async recordedTokenVersion(userId: string): Promise<number | null> {
    try {
      const value = await this.redis.client.get(`token-version:${userId}`);
      return value === null ? null : Number(value);
    } catch {
      return null;
    }
  }

  /**
   * Whether the principal is as current as this replica can know: read since the last change to
   * any credential was announced, and while the announcements are heard (a missed one could be
   * that change).
   */
  isCurrent(principal: Principal): boolean {
    return principal.cacheMark !== undefined && this.invalidation.mayStore(principal.cacheMark);
  }

  /** This replica only: the next `resolve` of `key` reads again, joining no read begun before. */
  forget(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }

  /** Call after the change is committed and before answering: every replica reads again. */
  invalidate(): Promise<void> {
    return this.invalidation.announce();
  }

  onApplicationShutdown(): void {
    this.invalidation.close();
  }
}
