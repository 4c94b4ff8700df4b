import { randomUUID } from 'node:crypto';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';

import { EnvService } from '../core/env/env.service';
import {
  deliveryJobId,
  WEBHOOK_DELIVERIES_QUEUE,
  WEBHOOK_DELIVERY_JOB,
  WebhookDeliveryJob,
} from '../core/queue/queues';
import { withTimeout } from '../core/queue/redis-connection';

/** Delivery attempts to hand to the queue. */
export type PendingDeliveries = { id: string; attempt: number }[];

export function newEventId(): string {
  return `evt_${randomUUID().replace(/-/g, '')}`;
}

/**
 * Hands delivery attempts to the queue. The rows are the truth: whatever fails to be enqueued
 * stays pending and the reconciler sends it later.
 */
@Injectable()
export class DeliveryQueue {
  private readonly logger = new Logger(DeliveryQueue.name);

  constructor(
    @InjectQueue(WEBHOOK_DELIVERIES_QUEUE) private readonly queue: Queue<WebhookDeliveryJob>,
    private readonly env: EnvService,
  ) {}

  /** After commit. If Redis is down the rows stay pending and the reconciler sends them later. */
  async enqueue(pending: PendingDeliveries, delayMs = 0): Promise<boolean> {
    if (pending.length === 0) return true;
    try {
      const adding = this.queue.addBulk(
        pending.map((p) => ({
          name: WEBHOOK_DELIVERY_JOB,
          data: { deliveryId: p.id },
          opts: {
            jobId: deliveryJobId(p.id, p.attempt),
            delay: delayMs,
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
      await withTimeout(adding, this.env.get('REDIS_COMMAND_TIMEOUT_MS'), 'Enqueueing deliveries');
      return true;
    } catch (err) {
      this.logger.warn(
        `Could not enqueue ${pending.length} deliveries (the reconciler will): ${(err as Error).message}`,
      );
      return false;
    }
  }

  /** Sends a delivery's next attempt now, even when a delayed job for it is already waiting. */
  async enqueueNow(next: { id: string; attempt: number }): Promise<void> {
    const job = await withTimeout(
      this.queue.getJob(deliveryJobId(next.id, next.attempt)),
      this.env.get('REDIS_COMMAND_TIMEOUT_MS'),
      'Looking up a delivery job',
    ).catch(() => undefined);
    if (job && (await job.isDelayed())) await job.promote();
    else await this.enqueue([next]);
  }
}
