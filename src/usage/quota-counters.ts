import { Injectable } from '@nestjs/common';

import { RedisService } from '../core/redis/redis.service';
import type { Counter, Subject } from './quota-limits';
import { NANOS_PER_USD, subjectId } from './quota-limits';
import { UsageRecordsRepository } from './usage-records.repository';

// Adds to the counters that exist; a missing one (flushed, expired, never built) stays missing,
// so it is rebuilt from the records, which already hold this call, rather than restarting at it.
const ADD_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then out[i] = redis.call('INCRBY', key, ARGV[i]) else out[i] = -1 end
end
return out`;

// A rebuilt value is set only where no other replica's rebuild got there first (NX); either way
// the answer is the value that stands. Left open: a call whose record commits after the sum was
// read, and whose addition runs before this SET, finds no counter and is not counted — a window of
// one round trip, and only right after a counter was lost.
const REBUILD_SCRIPT = `
local out = {}
local n = #KEYS
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[i], 'NX', 'PX', ARGV[n + i]) then out[i] = ARGV[i]
  else out[i] = redis.call('GET', key) end
end
return out`;

// A counter outlives its period by a day, so a replica whose clock runs a little behind still
// finds it; after that it is gone and costs nothing.
const KEEP_AFTER_PERIOD_MS = 24 * 3600_000;

type CountingRedis = RedisService['client'] & {
  quotaAdd(n: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  quotaRebuild(n: number, ...keysAndArgs: (string | number)[]): Promise<(string | null)[]>;
};

/**
 * The quota counters in Redis (SPEC §13): atomic across replicas, and agreeing with the usage
 * records, from which a missing counter is rebuilt before it is read (never a silent zero).
 */
@Injectable()
export class QuotaCounters {
  private readonly redis: CountingRedis;

  constructor(
    redis: RedisService,
    private readonly records: UsageRecordsRepository,
  ) {
    redis.client.defineCommand('quotaAdd', { lua: ADD_SCRIPT });
    redis.client.defineCommand('quotaRebuild', { lua: REBUILD_SCRIPT });
    this.redis = redis.client as CountingRedis;
  }

  /** The counters' values: one MGET, plus a rebuild of those that are missing. */
  async read(counters: Counter[], at: Date): Promise<number[]> {
    const raw = await this.redis.mget(...counters.map((c) => c.key));
    const missing = counters.filter((_, i) => raw[i] === null);
    if (missing.length === 0) return raw.map(Number);
    const rebuilt = await this.rebuild(missing, at);
    return raw.map((v, i) => (v === null ? rebuilt.get(counters[i].key)! : Number(v)));
  }

  /** Adds to each counter that exists; answers the new values, -1 for a missing counter. */
  async add(counters: Counter[], amounts: number[]): Promise<number[]> {
    const keys = counters.map((c) => c.key);
    return (await this.redis.quotaAdd(keys.length, ...keys, ...amounts)).map(Number);
  }

  /** Drops counters that missed an addition (Redis was away), so they are rebuilt when next read. */
  async drop(keys: string[]): Promise<void> {
    await this.redis.del(...keys);
  }

  private async rebuild(missing: Counter[], at: Date): Promise<Map<string, number>> {
    // One query per subject and period start covers both its tokens and its cost.
    const sums = new Map<string, Promise<{ tokens: number; cost_usd: number }>>();
    const sumOf = (subject: Subject, since: Date) => {
      const id = `${subjectId(subject)}@${since.getTime()}`;
      let sum = sums.get(id);
      if (!sum) sums.set(id, (sum = this.records.sumSince(subject, since)));
      return sum;
    };
    const values = await Promise.all(
      missing.map(async (c) => {
        const sum = await sumOf(c.subject, c.period.start);
        return c.metric === 'tokens' ? sum.tokens : Math.round(sum.cost_usd * NANOS_PER_USD);
      }),
    );
    const ttls = missing.map((c) => c.period.end.getTime() - at.getTime() + KEEP_AFTER_PERIOD_MS);
    const keys = missing.map((c) => c.key);
    const standing = await this.redis.quotaRebuild(keys.length, ...keys, ...values, ...ttls);
    return new Map(keys.map((key, i) => [key, Number(standing[i])]));
  }
}
