import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';

import type { Principal } from '../auth/principal';
import { EnvService } from '../env/env.service';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { recordUncheckedRequest } from './rate-limit-unchecked';
import { RedisService } from './redis.service';

const WINDOW_MS = 60_000;
// One round trip per request. A request refused by any bucket is counted in none, so a key over its
// own limit does not use up its user's; the expiry is set once, when a window opens. Answers each
// bucket's count including this request (a refused request's counts are not stored).
const CONSUME_SCRIPT = `
local counts = {}
local refused = false
for i, key in ipairs(KEYS) do
  counts[i] = tonumber(redis.call('GET', key) or '0') + 1
  if counts[i] > tonumber(ARGV[i + 1]) then refused = true end
end
if not refused then
  for i, key in ipairs(KEYS) do
    if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  end
end
return counts`;

type LimitedRedis = RedisService['client'] & {
  consumeRateLimit(...keysAndArgs: (number | string)[]): Promise<number[]>;
};

/** A bucket's count as Redis last reported it, and this replica's requests not yet counted there. */
interface Seen {
  count: number;
  pending: number;
}

interface Bucket {
  key: string;
  limit: number;
  seen: Seen;
}

/**
 * Per-user limits in Redis, so they hold across replicas: all of a user's API keys and JWTs share
 * one bucket (and one for chat), so more keys never mean more requests; a key with its own
 * `rate_limit_per_minute` is also held to that, in a bucket of its own. Fixed one-minute windows.
 *
 * While every bucket is less than half used by what this replica knows of it (Redis's last count
 * plus its own requests still on their way there), a request goes ahead without waiting for Redis;
 * past half, and for a bucket's first request in a window, each request waits for Redis's count.
 * So a single replica limits exactly, and several can overshoot only by the requests one of them
 * lets through in the lower half before it hears of the others' use.
 */
@Injectable()
export class RateLimiterService {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly generalLimit: number;
  private readonly chatLimit: number;
  private readonly redis: LimitedRedis;
  private readonly seen = new Map<string, Seen>();
  private seenWindow = -1;

  constructor(env: EnvService, redis: RedisService) {
    this.generalLimit = env.get('RATE_LIMIT_PER_MINUTE');
    this.chatLimit = env.get('RATE_LIMIT_CHAT_PER_MINUTE');
    redis.client.defineCommand('consumeRateLimit', { lua: CONSUME_SCRIPT });
    this.redis = redis.client as LimitedRedis;
  }

  private buckets(principal: Principal, isChat: boolean, window: number): Bucket[] {
    const user = principal.userId;
    const buckets = [this.bucket(`rl:all:user:${user}:${window}`, this.generalLimit)];
    if (isChat) buckets.push(this.bucket(`rl:chat:user:${user}:${window}`, this.chatLimit));
    if (principal.apiKeyId && principal.keyRateLimitPerMinute) {
      buckets.push(
        this.bucket(`rl:key:${principal.apiKeyId}:${window}`, principal.keyRateLimitPerMinute),
      );
    }
    return buckets;
  }

  async consume(principal: Principal, isChat: boolean, res: Response): Promise<void> {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const resetAt = (window + 1) * WINDOW_MS;
    if (window !== this.seenWindow) {
      this.seen.clear();
      this.seenWindow = window;
    }
    const buckets = this.buckets(principal, isChat, window);
    // The script's arguments: the number of keys, the keys, the window's expiry, the limits.
    const args: (number | string)[] = [buckets.length];
    let ahead = true;
    for (const b of buckets) {
      args.push(b.key);
      ahead &&= b.seen.count > 0 && b.seen.count + b.seen.pending + 1 <= b.limit / 2;
    }
    args.push(WINDOW_MS * 2);
    for (const b of buckets) {
      args.push(b.limit);
      b.seen.pending++;
    }
    const counted = this.redis.consumeRateLimit(...args).then(
      (counts) => {
        const refused = buckets.some((b, i) => counts[i] > b.limit);
        buckets.forEach((b, i) => {
          b.seen.pending--;
          b.seen.count = Math.max(b.seen.count, Number(counts[i]) - (refused ? 1 : 0));
        });
        return counts;
      },
      (err: Error) => {
        for (const b of buckets) b.seen.pending--;
        // Redis trouble must not take the API down with it: the limit is skipped, not the request.
        recordUncheckedRequest(this.logger, err);
        return null;
      },
    );
    // Ahead: what this replica knows, this request included (counted as pending just above).
    const counts = ahead ? buckets.map((b) => b.seen.count + b.seen.pending) : await counted;
    if (!counts) return;
    // The bucket with the least left is the one the caller needs to know about.
    let shown = 0;
    let over = -1;
    for (let i = 0; i < buckets.length; i++) {
      if (buckets[i].limit - counts[i] < buckets[shown].limit - counts[shown]) shown = i;
      if (over < 0 && counts[i] > buckets[i].limit) over = i;
    }
    const reset = String(Math.ceil(resetAt / 1000));
    if (over >= 0) {
      const retryAfter = String(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)));
      throw new AppException(
        ErrorCode.RATE_LIMIT,
        `Rate limit of ${buckets[over].limit} requests per minute exceeded`,
        { limit: buckets[over].limit, retry_after: Number(retryAfter) },
        {
          'X-RateLimit-Limit': String(buckets[over].limit),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': reset,
          'Retry-After': retryAfter,
        },
      );
    }
    res.setHeader('X-RateLimit-Limit', String(buckets[shown].limit));
    res.setHeader(
      'X-RateLimit-Remaining',
      String(Math.max(0, buckets[shown].limit - counts[shown])),
    );
    res.setHeader('X-RateLimit-Reset', reset);
  }

  private bucket(key: string, limit: number): Bucket {
    let seen = this.seen.get(key);
    if (!seen) {
      seen = { count: 0, pending: 0 };
      this.seen.set(key, seen);
    }
    return { key, limit, seen };
  }
}
