import { Global, Module } from '@nestjs/common';

import { CredentialCache } from '../auth/credential-cache.service';
import { RateLimiterService } from './rate-limiter.service';
import { RedisService } from './redis.service';

@Global()
@Module({
  providers: [RedisService, RateLimiterService, CredentialCache],
  exports: [RedisService, RateLimiterService, CredentialCache],
})
export class RedisModule {}
