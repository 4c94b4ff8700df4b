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
  consumeRateLimit(...keysAndArgs: [number, ...string[]]): Promise<number[]>;
};

interface Bucket {
  key: string;
  limit: number;
}

/** A bucket's count as Redis last reported it, and this replica's requests not yet counted there. */
interface Seen {
  count: number;
  pending: number;
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
    const buckets = [{ key: `rl:all:user:${user}:${window}`, limit: this.generalLimit }];
    if (isChat) buckets.push({ key: `rl:chat:user:${user}:${window}`, limit: this.chatLimit });
    if (principal.apiKeyId && principal.keyRateLimitPerMinute) {
      buckets.push({
        key: `rl:key:${principal.apiKeyId}:${window}`,
        limit: principal.keyRateLimitPerMinute,
      });
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
    const keys = buckets.map((b) => b.key);
    const states = keys.map((key) => this.state(key));
    const estimates = states.map((s) => s.count + s.pending + 1);
    const ahead = states.every((s, i) => s.count > 0 && estimates[i] <= buckets[i].limit / 2);
    for (const s of states) s.pending++;
    const args = [String(WINDOW_MS * 2), ...buckets.map((b) => String(b.limit))];
    const counted = this.redis.consumeRateLimit(keys.length, ...keys, ...args).then(
      (counts) => {
        const refused = counts.some((c, i) => c > buckets[i].limit);
        states.forEach((s, i) => {
          s.pending--;
          s.count = Math.max(s.count, Number(counts[i]) - (refused ? 1 : 0));
        });
        return counts;
      },
      (err: Error) => {
        for (const s of states) s.pending--;
        // Redis trouble must not take the API down with it: the limit is skipped, not the request.
        recordUncheckedRequest(this.logger, err);
        return null;
      },
    );
    const counts = ahead ? estimates : await counted;
    if (!counts) return;
    // The bucket with the least left is the one the caller needs to know about.
    const left = buckets.map((b, i) => b.limit - counts[i]);
    const shown = left.indexOf(Math.min(...left));
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(buckets[shown].limit),
      'X-RateLimit-Remaining': String(Math.max(0, left[shown])),
      'X-RateLimit-Reset': String(Math.ceil(resetAt / 1000)),
    };
    const over = buckets.findIndex((b, i) => counts[i] > b.limit);
    if (over >= 0) {
      const retryAfter = String(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)));
      throw new AppException(
        ErrorCode.RATE_LIMIT,
        `Rate limit of ${buckets[over].limit} requests per minute exceeded`,
        { limit: buckets[over].limit, retry_after: Number(retryAfter) },
        {
          ...headers,
          'X-RateLimit-Limit': String(buckets[over].limit),
          'X-RateLimit-Remaining': '0',
          'Retry-After': retryAfter,
        },
      );
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  }

  private state(key: string): Seen {
    let state = this.seen.get(key);
    if (!state) {
      state = { count: 0, pending: 0 };
      this.seen.set(key, state);
    }
    return state;
  }
}
