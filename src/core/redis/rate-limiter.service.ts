import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';

import type { Principal } from '../auth/principal';
import { EnvService } from '../env/env.service';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { recordUncheckedRequest } from './rate-limit-unchecked';
import { RedisService } from './redis.service';

const WINDOW_MS = 60_000;
// One round trip and one command per request; the expiry is set once, when a window opens.
const CONSUME_SCRIPT = `
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return counts`;

type LimitedRedis = RedisService['client'] & {
  consumeRateLimit(...keysAndWindow: [number, ...string[]]): Promise<number[]>;
};

interface Bucket {
  name: string;
  limit: number;
}

/** A bucket's count as Redis last reported it, and this replica's requests not yet counted there. */
interface Seen {
  count: number;
  pending: number;
}

/**
 * Per-credential limits in Redis, so they hold across replicas: each API key has its own bucket,
 * JWTs share their user's. Fixed one-minute windows; chat routes also count against the chat limit.
 *
 * While a bucket is less than half used by what this replica knows of it (Redis's last count plus
 * its own requests still on their way there), a request goes ahead without waiting for Redis; past
 * half, and for a credential's first request in a window, each request waits for Redis's count.
 * So a single replica limits exactly, and several can overshoot only by the requests one of them
 * lets through in the lower half before it hears of the others' use.
 */
@Injectable()
export class RateLimiterService {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly general: Bucket;
  private readonly chat: Bucket;
  private readonly redis: LimitedRedis;
  private readonly seen = new Map<string, Seen>();
  private seenWindow = -1;

  constructor(env: EnvService, redis: RedisService) {
    this.general = { name: 'all', limit: env.get('RATE_LIMIT_PER_MINUTE') };
    this.chat = { name: 'chat', limit: env.get('RATE_LIMIT_CHAT_PER_MINUTE') };
    redis.client.defineCommand('consumeRateLimit', { lua: CONSUME_SCRIPT });
    this.redis = redis.client as LimitedRedis;
  }

  async consume(principal: Principal, isChat: boolean, res: Response): Promise<void> {
    const credential = principal.apiKeyId
      ? `key:${principal.apiKeyId}`
      : `user:${principal.userId}`;
    const window = Math.floor(Date.now() / WINDOW_MS);
    const resetAt = (window + 1) * WINDOW_MS;
    const buckets = isChat ? [this.general, this.chat] : [this.general];
    if (window !== this.seenWindow) {
      this.seen.clear();
      this.seenWindow = window;
    }
    const keys = buckets.map((b) => `rl:${b.name}:${credential}:${window}`);
    const states = keys.map((key) => this.state(key));
    const estimates = states.map((s) => s.count + s.pending + 1);
    const ahead = states.every((s, i) => s.count > 0 && estimates[i] <= buckets[i].limit / 2);
    for (const s of states) s.pending++;
    const counted = this.redis.consumeRateLimit(keys.length, ...keys, String(WINDOW_MS * 2)).then(
      (counts) => {
        states.forEach((s, i) => {
          s.pending--;
          s.count = Math.max(s.count, Number(counts[i]));
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
    // The tightest bucket is the one the caller needs to know about.
    const shown = isChat ? 1 : 0;
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(buckets[shown].limit),
      'X-RateLimit-Remaining': String(Math.max(0, buckets[shown].limit - counts[shown])),
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
