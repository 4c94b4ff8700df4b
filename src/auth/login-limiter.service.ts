import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { RedisService } from '../core/redis/redis.service';

const WINDOW_SECONDS = 60;

/**
 * Failed logins counted per e-mail and per client address in Redis, so the limit holds across
 * replicas. Successful logins are not counted: the limit slows guessing, not legitimate use.
 */
@Injectable()
export class LoginLimiterService {
  private readonly limit: number;

  constructor(
    env: EnvService,
    private readonly redis: RedisService,
  ) {
    this.limit = env.get('RATE_LIMIT_LOGIN_PER_MINUTE');
  }

  private keys(email: string, address: string): string[] {
    const emailHash = createHash('sha256').update(email).digest('hex').slice(0, 32);
    return [`login-fail:email:${emailHash}`, `login-fail:ip:${address}`];
  }

  async assertAllowed(email: string, address: string): Promise<void> {
    const keys = this.keys(email, address);
    const counts = await this.redis.client.mget(...keys);
    const blocked = keys.filter((_, i) => Number(counts[i] ?? 0) >= this.limit);
    if (blocked.length === 0) return;
    const ttls = await Promise.all(blocked.map((k) => this.redis.client.ttl(k)));
    const retryAfter = Math.max(1, ...ttls);
    throw new AppException(
      ErrorCode.RATE_LIMIT,
      'Too many failed login attempts; try again later',
      { retry_after: retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }

  async recordFailure(email: string, address: string): Promise<void> {
    const multi = this.redis.client.multi();
    for (const key of this.keys(email, address)) {
      multi.incr(key);
      multi.expire(key, WINDOW_SECONDS, 'NX');
    }
    await multi.exec();
  }
}
