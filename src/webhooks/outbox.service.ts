import { randomUUID } from 'node:crypto';

import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { Brackets, DataSource, EntityManager } from 'typeorm';

import { inTransaction } from '../core/database/transaction';
import { EnvService } from '../core/env/env.service';
import {
  deliveryJobId,
  WEBHOOK_DELIVERIES_QUEUE,
  WEBHOOK_DELIVERY_JOB,
  WebhookDeliveryJob,
} from '../core/queue/queues';
import { withTimeout } from '../core/queue/redis-connection';
import { UserEntity } from '../users/entities/user.entity';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { audienceKey, Subscriber, SubscriptionCache } from './subscription-cache';
import { Audience, EventType, subscribes } from './webhook-events';

/** Deliveries written by a transaction, to hand to the queue once it has committed. */
export type PendingDeliveries = { id: string; attempt: number }[];

interface EmittedEvent {
  type: EventType;
  audience: Audience;
  data: unknown;
  at: Date;
}

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
    @InjectDataSource() private readonly db: DataSource,
    private readonly env: EnvService,
    private readonly cache: SubscriptionCache,
  ) {}

  get maxAttempts(): number {
    return this.env.get('webhookRetryDelaysMs').length + 1;
  }

  /** Writes one event and its deliveries in the caller's transaction. */
  record(
    tx: EntityManager,
    type: EventType,
    audience: Audience,
    data: unknown,
  ): Promise<PendingDeliveries> {
    return this.write(tx, [{ type, audience, data, at: new Date() }]);
  }

  /**
   * Runs a change in a transaction; the events it emits are written with it (all at once, just
   * before it commits) and handed to the queue once it has committed.
   */
  async transaction<T>(
    db: DataSource,
    work: (tx: EntityManager, emit: Emit) => Promise<T>,
  ): Promise<T> {
    let pending: PendingDeliveries = [];
    let wrote = false;
    const result = await inTransaction(db, async (tx) => {
      const emitted: EmittedEvent[] = [];
      const value = await work(tx, (type, audience, data) => {
        emitted.push({ type, audience, data, at: new Date() });
        return Promise.resolve();
      });
      wrote = emitted.length > 0;
      pending = await this.write(tx, emitted);
      return value;
    }).catch((err: unknown) => {
      // The commit failed after the subscribers were read inside the transaction.
      if (wrote) this.cache.forget();
      throw err;
    });
    await this.dispatch(pending);
    return result;
  }

  /** Whether an event of any of these types for this audience would be delivered anywhere now. */
  async hasSubscribers(types: EventType | EventType[], audience: Audience): Promise<boolean> {
    const key = audienceKey(audience);
    const found = await this.cache.get([key], (missing) => this.load(this.db.manager, missing));
    const wanted = Array.isArray(types) ? types : [types];
    return (found.get(key) ?? []).some((w) => wanted.some((type) => subscribes(w.events, type)));
  }

  /** Call once a change to a webhook, or to a user's role or existence, has committed. */
  subscriptionsChanged(): Promise<void> {
    return this.cache.invalidate();
  }

  /** After commit. If Redis is down the rows stay pending and the reconciler sends them later. */
  async dispatch(pending: PendingDeliveries, delayMs = 0): Promise<boolean> {
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
  async dispatchNow(next: { id: string; attempt: number }): Promise<void> {
    const job = await withTimeout(
      this.queue.getJob(deliveryJobId(next.id, next.attempt)),
      this.env.get('REDIS_COMMAND_TIMEOUT_MS'),
      'Looking up a delivery job',
    ).catch(() => undefined);
    if (job && (await job.isDelayed())) await job.promote();
    else await this.dispatch([next]);
  }

  private async write(tx: EntityManager, emitted: EmittedEvent[]): Promise<PendingDeliveries> {
    if (emitted.length === 0) return [];
    const subscribers = await this.cache.get(
      emitted.map((e) => audienceKey(e.audience)),
      (missing) => this.load(tx, missing),
    );
    const events: WebhookEventEntity[] = [];
    const deliveries: WebhookDeliveryEntity[] = [];
    for (const { type, audience, data, at } of emitted) {
      const hooks = (subscribers.get(audienceKey(audience)) ?? []).filter((w) =>
        subscribes(w.events, type),
      );
      if (hooks.length === 0) continue;
      const id = newEventId();
      const payload = JSON.stringify({ id, type, created_at: at.toISOString(), data });
      events.push({ id, type, payload, createdAt: at });
      for (const hook of hooks)
        deliveries.push({
          id: randomUUID(),
          webhookId: hook.id,
          eventId: id,
          status: 'pending',
          attempts: 0,
          maxAttempts: this.maxAttempts,
          nextAttemptAt: at.getTime(),
          createdAt: at,
          updatedAt: at,
        });
    }
    if (events.length === 0) return [];
    await tx.insert(WebhookEventEntity, events);
    await tx.insert(WebhookDeliveryEntity, deliveries);
    return deliveries.map((d) => ({ id: d.id, attempt: 1 }));
  }

  /**
   * The active webhooks of each audience key (a user id, or 'admins'), in one query. A disabled
   * owner's webhooks receive nothing, whichever the audience.
   */
  private async load(tx: EntityManager, keys: string[]): Promise<Map<string, Subscriber[]>> {
    const userIds = keys.filter((k) => k !== 'admins');
    const admins = keys.includes('admins');
    const query = tx
      .createQueryBuilder(WebhookEntity, 'w')
      .select('w.id', 'id')
      .addSelect('w.events', 'events')
      .addSelect('w.user_id', 'user_id')
      .addSelect('u.role', 'role')
      .innerJoin(UserEntity, 'u', 'u.id = w.user_id')
      .where('w.active = :active', { active: true })
      .andWhere('u.disabled = :disabled', { disabled: false });
    if (admins) {
      query.andWhere(
        new Brackets((q) => {
          q.where('u.role = :role', { role: 'admin' });
          if (userIds.length > 0) q.orWhere('w.user_id IN (:...userIds)', { userIds });
        }),
      );
    } else {
      query.andWhere('w.user_id IN (:...userIds)', { userIds });
    }
    const rows = await query.getRawMany<{
      id: string;
      events: string;
      user_id: string;
      role?: string;
    }>();
    const found = new Map<string, Subscriber[]>(keys.map((k) => [k, []]));
    for (const row of rows) {
      const hook = { id: row.id, events: JSON.parse(row.events) as string[] };
      found.get(row.user_id)?.push(hook);
      if (admins && row.role === 'admin') found.get('admins')!.push(hook);
    }
    return found;
  }
}
