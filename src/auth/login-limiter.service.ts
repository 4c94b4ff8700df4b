import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { RedisService } from '../core/redis/redis.service';

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

type LoginRedis = RedisService['client'] & {
  loginAttempt(keys: number, ...args: string[]): Promise<number>;
  loginRefund(keys: number, ...args: string[]): Promise<number>;
};

/**
 * Login attempts counted in Redis (so the limit holds across replicas) per client address and per
 * (e-mail, address) — never per e-mail alone, so failures from other addresses cannot lock a user
 * out. Every attempt is counted before its password is checked; one whose password turns out right
 * is refunded, so the limit slows guessing, not legitimate use.
 */
@Injectable()
export class LoginLimiterService {
  private readonly limit: number;
  private readonly redis: LoginRedis;

  constructor(env: EnvService, redis: RedisService) {
    this.limit = env.get('RATE_LIMIT_LOGIN_PER_MINUTE');
    redis.client.defineCommand('loginAttempt', { lua: ATTEMPT_SCRIPT });
    redis.client.defineCommand('loginRefund', { lua: REFUND_SCRIPT });
    this.redis = redis.client as LoginRedis;
  }

  private keys(email: string, address: string): string[] {
    const pair = createHash('sha256').update(`${email}\n${address}`).digest('hex').slice(0, 32);
    return [`login:addr:${address}`, `login:email-addr:${pair}`];
  }

  /** Counts the attempt, or answers 429 RATE_LIMIT when either bucket is full. */
  async attempt(email: string, address: string): Promise<void> {
    const waitMs = Number(
      await this.redis.loginAttempt(
        2,
        ...this.keys(email, address),
        String(this.limit),
        String(WINDOW_MS),
      ),
    );
    if (waitMs === 0) return;
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    throw new AppException(
      ErrorCode.RATE_LIMIT,
      'Too many failed login attempts; try again later',
      { retry_after: retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** The password was right: this attempt does not count. */
  async refund(email: string, address: string): Promise<void> {
    await this.redis.loginRefund(2, ...this.keys(email, address));
  }
}
