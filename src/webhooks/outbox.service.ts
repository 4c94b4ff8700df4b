import { randomUUID } from 'node:crypto';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';

import { inTransaction } from '../core/database/transaction';
import { EnvService } from '../core/env/env.service';
import {
  deliveryJobId,
  WEBHOOK_DELIVERIES_QUEUE,
  WEBHOOK_DELIVERY_JOB,
  WebhookDeliveryJob,
} from '../core/queue/queues';
import { UserEntity } from '../users/entities/user.entity';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { Audience, EventType, subscribes } from './webhook-events';

/** Deliveries written by a transaction, to hand to the queue once it has committed. */
export type PendingDeliveries = { id: string; attempt: number }[];

export type Emit = (type: EventType, audience: Audience, data: unknown) => Promise<void>;

export function newEventId(): string {
  return `evt_${randomUUID().replace(/-/g, '')}`;
}

/**
 * The outbox: an event and its deliveries are rows written in the caller's transaction, so they
 * exist exactly when the change that caused them does. The queue only carries them out; the
 * reconciler re-enqueues any whose job was lost.
 */
@Injectable()
export class OutboxService {
  private readonly logger = new Logger(OutboxService.name);

  constructor(
    @InjectQueue(WEBHOOK_DELIVERIES_QUEUE) private readonly queue: Queue<WebhookDeliveryJob>,
    private readonly env: EnvService,
  ) {}

  get maxAttempts(): number {
    return this.env.get('webhookRetryDelaysMs').length + 1;
  }

  async record(
    tx: EntityManager,
    type: EventType,
    audience: Audience,
    data: unknown,
  ): Promise<PendingDeliveries> {
    const hooks = await this.subscribers(tx, type, audience);
    if (hooks.length === 0) return [];
    const now = new Date();
    const id = newEventId();
    const payload = JSON.stringify({ id, type, created_at: now.toISOString(), data });
    await tx.insert(WebhookEventEntity, { id, type, payload, createdAt: now });
    const deliveries = hooks.map((hook) => ({
      id: randomUUID(),
      webhookId: hook.id,
      eventId: id,
      status: 'pending' as const,
      attempts: 0,
      maxAttempts: this.maxAttempts,
      nextAttemptAt: now.getTime(),
      createdAt: now,
      updatedAt: now,
    }));
    await tx.insert(WebhookDeliveryEntity, deliveries);
    return deliveries.map((d) => ({ id: d.id, attempt: 1 }));
  }

  /**
   * Runs a change in a transaction; the events it emits are written with it and handed to the
   * queue once it has committed.
   */
  async transaction<T>(
    db: DataSource,
    work: (tx: EntityManager, emit: Emit) => Promise<T>,
  ): Promise<T> {
    const pending: PendingDeliveries = [];
    const result = await inTransaction(db, (tx) =>
      work(tx, async (type, audience, data) => {
        pending.push(...(await this.record(tx, type, audience, data)));
      }),
    );
    await this.dispatch(pending);
    return result;
  }

  /** After commit. If Redis is down the rows stay pending and the reconciler sends them later. */
  async dispatch(pending: PendingDeliveries, delayMs = 0): Promise<void> {
    if (pending.length === 0) return;
    try {
      await this.queue.addBulk(
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
    } catch (err) {
      this.logger.warn(
        `Could not enqueue ${pending.length} deliveries (the reconciler will): ${(err as Error).message}`,
      );
    }
  }

  /** Sends a delivery's next attempt now, even when a delayed job for it is already waiting. */
  async dispatchNow(next: { id: string; attempt: number }): Promise<void> {
    const job = await this.queue
      .getJob(deliveryJobId(next.id, next.attempt))
      .catch(() => undefined);
    if (job && (await job.isDelayed())) await job.promote();
    else await this.dispatch([next]);
  }

  private async subscribers(
    tx: EntityManager,
    type: EventType,
    audience: Audience,
  ): Promise<WebhookEntity[]> {
    const query = tx
      .createQueryBuilder(WebhookEntity, 'w')
      .select(['w.id', 'w.events'])
      .where('w.active = :active', { active: true });
    if (audience === 'admins') {
      query
        .innerJoin(UserEntity, 'u', 'u.id = w.user_id')
        .andWhere('u.role = :role', { role: 'admin' });
    } else {
      query.andWhere('w.user_id = :userId', { userId: audience.userId });
    }
    return (await query.getMany()).filter((w) => subscribes(w.events, type));
  }
}
