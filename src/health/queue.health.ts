import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Queue } from 'bullmq';

import { SKILL_RUNS_QUEUE, WEBHOOK_DELIVERIES_QUEUE } from '../core/queue/queues';
import { withTimeout } from '../core/queue/redis-connection';

/** The queues' own connections: the shared client can be up while theirs is still reconnecting. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectQueue(SKILL_RUNS_QUEUE) private readonly skillRuns: Queue,
    @InjectQueue(WEBHOOK_DELIVERIES_QUEUE) private readonly deliveries: Queue,
  ) {}

  async isHealthy(key: string) {
    const indicator = this.indicators.check(key);
    try {
      await Promise.all(
        [this.skillRuns, this.deliveries].map((queue) =>
          withTimeout(queue.getJobCounts('waiting'), 1500, 'Queue check'),
        ),
      );
      return indicator.up();
    } catch {
      return indicator.down({ message: 'The queues cannot reach Redis' });
    }
  }
}
