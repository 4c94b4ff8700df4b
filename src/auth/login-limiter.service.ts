import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { EnvService } from '../core/env/env.service';
import { AttemptLimiter } from '../core/redis/attempt-limiter';
import { RedisService } from '../core/redis/redis.service';

/**
 * Login attempts per client address and per (e-mail, address) — never per e-mail alone, so
 * failures from other addresses cannot lock a user out. Counted before the password is checked;
 * an attempt with the right password is refunded.
 */
@Injectable()
export class LoginLimiterService {
  private readonly attempts: AttemptLimiter;

  constructor(env: EnvService, redis: RedisService) {
    this.attempts = new AttemptLimiter(
      redis,
      env.get('RATE_LIMIT_LOGIN_PER_MINUTE'),
      'Too many failed login attempts; try again later',
    );
  }

  private keys(email: string, address: string): string[] {
    const pair = createHash('sha256').update(`${email}\n${address}`).digest('hex').slice(0, 32);
    return [`login:addr:${address}`, `login:email-addr:${pair}`];
  }

  /** Counts the attempt, or answers 429 RATE_LIMIT when either bucket is full. */
  attempt(email: string, address: string): Promise<void> {
    return this.attempts.attempt(this.keys(email, address));
  }

  /** The password was right: this attempt does not count. */
  refund(email: string, address: string): Promise<void> {
    return this.attempts.refund(this.keys(email, address));
  }
}
