import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import type { RedisService } from './redis.service';

const WINDOW_MS = 60_000;

// Check and count in one step, so parallel guesses cannot all pass the check before any is counted.
// Answers 0 when the attempt was counted, else the milliseconds until the fullest bucket reopens.
const ATTEMPT_SCRIPT = `
local limit = tonumber(ARGV[1])
local wait = -1
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= limit then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[2])
      ttl = tonumber(ARGV[2])
    end
    wait = math.max(wait, ttl, 1)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 0`;

// Never below zero, and never recreating a bucket that has meanwhile expired.
const REFUND_SCRIPT = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`;

type AttemptRedis = RedisService['client'] & {
  countAttempt?(keys: number, ...args: string[]): Promise<number>;
  refundAttempt?(keys: number, ...args: string[]): Promise<number>;
};

/**
 * Password guesses counted in Redis (so a limit holds across replicas) in one-minute buckets:
 * every attempt is counted before its password is checked, and one whose password turns out right
 * is refunded, so the limit slows guessing, not legitimate use.
 */
export class AttemptLimiter {
  private readonly redis: Required<AttemptRedis>;

  constructor(
    redis: RedisService,
    private readonly limit: number,
    private readonly refusal: string,
  ) {
    const client = redis.client as AttemptRedis;
    if (!client.countAttempt) client.defineCommand('countAttempt', { lua: ATTEMPT_SCRIPT });
    if (!client.refundAttempt) client.defineCommand('refundAttempt', { lua: REFUND_SCRIPT });
    this.redis = client as Required<AttemptRedis>;
  }

  /** Counts the attempt in every bucket, or answers 429 RATE_LIMIT when any of them is full. */
  async attempt(keys: string[]): Promise<void> {
    const args = [String(this.limit), String(WINDOW_MS)];
    const waitMs = Number(await this.redis.countAttempt(keys.length, ...keys, ...args));
    if (waitMs === 0) return;
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    throw new AppException(
      ErrorCode.RATE_LIMIT,
      this.refusal,
      { retry_after: retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** The password was right: this attempt does not count. */
  async refund(keys: string[]): Promise<void> {
    await this.redis.refundAttempt(keys.length, ...keys);
  }
}
