import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager } from 'typeorm';

import { EnvService } from '../core/env/env.service';
import {
  Audience,
  DomainEvent,
  EventType,
  isInternal,
  subscribes,
} from '../core/events/event-catalogue';
import type { EventSink } from '../core/events/event-sink';
import { UserEntity } from '../users/entities/user.entity';
import { DeliveryQueue, newEventId, PendingDeliveries } from './delivery-queue';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { audienceKeys, Subscriber, SubscriptionCache } from './subscription-cache';

/** What a committed transaction leaves to do. */
export interface Pending {
  deliveries: PendingDeliveries;
  /** Its events changed who receives events: every replica's cache reads again. */
  resubscribe: boolean;
}

/**
 * The one place that knows which changes alter the subscribers: a webhook created, changed,
 * deleted or disabled; a user deleted, or their role or disabled flag changed.
 */
function changesSubscribers(event: DomainEvent): boolean {
  if (isInternal(event.type)) return true;
  return event.type === 'user.updated' && (event.changed ?? []).length > 0;
}

/** The webhooks of every key, each once (an admin's own webhook is in both of a user-and-admins audience). */
function hooksOf(found: Map<string, Subscriber[]>, keys: string[]): Subscriber[] {
  if (keys.length === 1) return found.get(keys[0]) ?? [];
  const hooks = new Map<string, Subscriber>();
  for (const key of keys) for (const hook of found.get(key) ?? []) hooks.set(hook.id, hook);
  return [...hooks.values()];
}

/**
 * Webhooks as the subscriber of every event (the outbox): an event and its deliveries are rows
 * written in the producer's transaction, so they exist exactly when the change that caused them
 * does. The queue only carries them out; the reconciler re-enqueues any whose job was lost.
 */
@Injectable()
export class WebhookSubscriber implements EventSink<Pending> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly env: EnvService,
    private readonly cache: SubscriptionCache,
    private readonly queue: DeliveryQueue,
  ) {}

  get maxAttempts(): number {
    return this.env.get('webhookRetryDelaysMs').length + 1;
  }

  async listens(types: EventType[], audience: Audience): Promise<boolean> {
    const keys = audienceKeys(audience);
    const found = await this.cache.get(keys, (missing) => this.load(this.db.manager, missing));
    return hooksOf(found, keys).some((w) => types.some((type) => subscribes(w.events, type)));
  }

  /** Writes the events that somebody listens to, and their deliveries, in the caller's transaction. */
  async write(tx: EntityManager, emitted: DomainEvent[]): Promise<Pending> {
    const resubscribe = emitted.some(changesSubscribers);
    const deliverable = emitted.filter((e) => !isInternal(e.type));
    if (deliverable.length === 0) return { deliveries: [], resubscribe };
    const subscribers = await this.cache.get(
      deliverable.flatMap((e) => audienceKeys(e.audience)),
      (missing) => this.load(tx, missing),
    );
    const events: WebhookEventEntity[] = [];
    const deliveries: WebhookDeliveryEntity[] = [];
    for (const { type, audience, data, at } of deliverable) {
      const hooks = hooksOf(subscribers, audienceKeys(audience)).filter((w) =>
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
    if (events.length > 0) {
      await tx.insert(WebhookEventEntity, events);
      await tx.insert(WebhookDeliveryEntity, deliveries);
    }
    return { deliveries: deliveries.map((d) => ({ id: d.id, attempt: 1 })), resubscribe };
  }

  /** After commit, before answering: caches first, so the next event anywhere sees the change. */
  async dispatch({ deliveries, resubscribe }: Pending): Promise<void> {
    if (resubscribe) await this.cache.invalidate();
    await this.queue.enqueue(deliveries);
  }

  /** The transaction read subscribers and may have seen its own uncommitted changes (a role). */
  rolledBack(emitted: DomainEvent[]): void {
    if (emitted.some((e) => !isInternal(e.type))) this.cache.forget();
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
