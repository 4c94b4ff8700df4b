import { createHash, timingSafeEqual } from 'node:crypto';

import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, Header, Headers, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse } from '@nestjs/swagger';
import { Queue } from 'bullmq';
import type { Response } from 'express';

import { Public } from '../core/auth/public.decorator';
import { EnvService } from '../core/env/env.service';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { SKILL_RUNS_QUEUE, WEBHOOK_DELIVERIES_QUEUE } from '../core/queue/queues';
import { withTimeout } from '../core/queue/redis-connection';
import { MetricsService } from './metrics.service';

/** Constant-time: equal-length digests, so neither the content nor the length leaks by timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** GET /metrics in Prometheus' text format; METRICS_TOKEN, when set, guards it. */
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly env: EnvService,
    @InjectQueue(SKILL_RUNS_QUEUE) private readonly skillRuns: Queue,
    @InjectQueue(WEBHOOK_DELIVERIES_QUEUE) private readonly deliveries: Queue,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({
    description: "Prometheus' text exposition format (version 0.0.4)",
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiHeader({
    name: 'authorization',
    required: false,
    description: '`Bearer <METRICS_TOKEN>`, needed only when METRICS_TOKEN is set',
  })
  @ApiErrors({
    401:
      'When METRICS_TOKEN is set: UNAUTHORIZED without `Authorization: Bearer <METRICS_TOKEN>`, ' +
      'INVALID_TOKEN with another token',
  })
  async scrape(
    @Res({ passthrough: true }) res: Response,
    @Headers('authorization') authorization?: string,
  ): Promise<string> {
    const token = this.env.get('METRICS_TOKEN');
    if (token && !sameSecret(authorization ?? '', `Bearer ${token}`)) {
      throw new AppException(authorization ? ErrorCode.INVALID_TOKEN : ErrorCode.UNAUTHORIZED);
    }
    await this.collectQueues();
    // Set here, not by decorator, so an error above still goes out as JSON.
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  private async collectQueues(): Promise<void> {
    for (const queue of [this.skillRuns, this.deliveries]) {
      // Bounded: before its first connection a Queue would wait for Redis indefinitely.
      const counts = await withTimeout(
        queue.getJobCounts(...STATES),
        this.env.get('REDIS_COMMAND_TIMEOUT_MS'),
        'Counting jobs',
      ).catch(() => null);
      if (!counts) continue;
      for (const state of STATES)
        this.metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
  }
}
