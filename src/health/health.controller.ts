import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';

import { Public } from '../core/auth/public.decorator';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { HealthLiveDto, HealthReadyDto } from './dto/health-response.dto';
import { QueueHealthIndicator } from './queue.health';
import { RedisHealthIndicator } from './redis.health';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly queues: QueueHealthIndicator,
  ) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  live(): HealthLiveDto {
    return { status: 'ok' };
  }

  /** The database and Redis both answer; otherwise 503 so no traffic is routed here. */
  @Get('ready')
  // terminus' own OpenAPI answers would show its 503 body, which the filter replaces with ours.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthReadyDto })
  @ApiErrors({
    503:
      'SERVICE_UNAVAILABLE: the database or Redis is unreachable (`details.checks` says which), ' +
      'or the server is shutting down',
  })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 1500 }),
        () => this.redis.isHealthy('redis'),
        () => this.queues.isHealthy('queues'),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const result = err.getResponse() as { error?: Record<string, unknown>; details?: unknown };
      const down = Object.keys(result.error ?? {});
      throw new AppException(
        ErrorCode.SERVICE_UNAVAILABLE,
        `Not ready: ${down.join(' and ') || 'a dependency'} unreachable`,
        { checks: result.details ?? {} },
      );
    }
  }
}
