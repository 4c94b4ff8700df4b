import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';

import { JobProducer } from '../core/queue/job-producer';
import { deliveryJobId, WEBHOOK_DELIVERIES_QUEUE } from '../core/queue/queues';

/** Delivery attempts to hand to the queue. */
export type PendingDeliveries = { id: string; attempt: number }[];

function toJob(p: { id: string; attempt: number }) {
  return { id: deliveryJobId(p.id, p.attempt), data: { deliveryId: p.id } };
}

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

  constructor(private readonly producer: JobProducer) {}

  /** After commit. If Redis is down the rows stay pending and the reconciler sends them later. */
  async enqueue(pending: PendingDeliveries, delayMs = 0): Promise<boolean> {
    try {
      await this.producer.add(WEBHOOK_DELIVERIES_QUEUE, pending.map(toJob), delayMs);
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
    const jobId = deliveryJobId(next.id, next.attempt);
    if (!(await this.producer.promote(WEBHOOK_DELIVERIES_QUEUE, jobId))) await this.enqueue([next]);
  }
}
