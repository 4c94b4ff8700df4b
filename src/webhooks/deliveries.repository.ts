import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, LessThanOrEqual } from 'typeorm';

import { inTransaction } from '../core/database/transaction';
import type { ListQueryDto } from '../core/http/list-query.dto';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookAttemptEntity } from './entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';

/** A delivery whose next attempt this worker has taken, with what sending it needs. */
export interface Claimed {
  delivery: Pick<WebhookDeliveryEntity, 'id' | 'webhookId' | 'attempts' | 'maxAttempts'>;
  webhook: Pick<WebhookEntity, 'userId' | 'url' | 'secret' | 'active'>;
  ownerDisabled: boolean;
  event: Pick<WebhookEventEntity, 'id' | 'payload'>;
}

/** What an attempt leaves on its delivery. */
export type DeliveryOutcome = Pick<WebhookDeliveryEntity, 'status' | 'nextAttemptAt' | 'updatedAt'>;

export type NewAttempt = Omit<WebhookAttemptEntity, 'id' | 'delivery'>;

interface ClaimedRow {
  id: string;
  webhook_id: string;
  user_id: string;
  attempts: number;
  max_attempts: number;
  url: string;
  secret: string;
  active: boolean;
  owner_disabled: boolean;
  event_id: string;
  payload: string;
}

/** Delivery rows and their attempts as the workers use them, one round trip each where the dialect allows. */
@Injectable()
export class DeliveriesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Counts the next attempt of each delivery and leases it until `lease` if it is pending and due
   * at `now`, and reads what sending it needs; null for one that is not due (or gone), and for a
   * delivery named twice, every call after the first.
   */
  async claimMany(deliveryIds: string[], now: number, lease: number): Promise<(Claimed | null)[]> {
    const unique = [...new Set(deliveryIds)];
    const found = new Map<string, Claimed>();
    if (this.db.options.type === 'postgres') {
      for (const claimed of await this.claimAtOnce(unique, now, lease))
        found.set(claimed.delivery.id, claimed);
    } else {
      for (const id of unique) {
        const claimed = await this.claimOne(id, now, lease);
        if (claimed) found.set(id, claimed);
      }
    }
    return deliveryIds.map((id) => {
      const claimed = found.get(id) ?? null;
      found.delete(id);
      return claimed;
    });
  }

  /** SQLite: the claim, then one read with both joins. */
  private async claimOne(deliveryId: string, now: number, lease: number): Promise<Claimed | null> {
    const claimed = await this.db
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({ attempts: () => 'attempts + 1', nextAttemptAt: lease, updatedAt: new Date(now) })
      .where('id = :id AND status = :status AND next_attempt_at <= :now', {
        id: deliveryId,
        status: 'pending',
        now,
      })
      .execute();
    if (!claimed.affected) return null;
    // One query with both joins (findOne with relations adds a second, DISTINCT one).
    const delivery = await this.db
      .createQueryBuilder(WebhookDeliveryEntity, 'd')
      .innerJoinAndSelect('d.webhook', 'w')
      .innerJoin('w.user', 'u')
      .addSelect(['u.id', 'u.disabled'])
      .innerJoinAndSelect('d.event', 'e')
      .where('d.id = :id', { id: deliveryId })
      .getOne();
    if (!delivery?.webhook?.user || !delivery.event) return null;
    return {
      delivery,
      webhook: delivery.webhook,
      ownerDisabled: delivery.webhook.user.disabled,
      event: delivery.event,
    };
  }

  /** PostgreSQL: every delivery claimed and read in one round trip. */
  private async claimAtOnce(deliveryIds: string[], now: number, lease: number): Promise<Claimed[]> {
    const [rows] = (await this.db.query(
      `UPDATE "webhook_deliveries" d
       SET "attempts" = d."attempts" + 1, "next_attempt_at" = $2, "updated_at" = $3
       FROM "webhooks" w, "webhook_events" e, "users" u
       WHERE d."id" = ANY($1::uuid[]) AND d."status" = 'pending' AND d."next_attempt_at" <= $4
         AND w."id" = d."webhook_id" AND e."id" = d."event_id" AND u."id" = w."user_id"
       RETURNING d."id", d."webhook_id", w."user_id", d."attempts", d."max_attempts", w."url", w."secret",
         w."active", u."disabled" AS "owner_disabled", e."id" AS "event_id", e."payload"`,
      [deliveryIds, lease, new Date(now), now],
    )) as [ClaimedRow[], number];
    return rows.map((row) => ({
      delivery: {
        id: row.id,
        webhookId: row.webhook_id,
        attempts: row.attempts,
        maxAttempts: row.max_attempts,
      },
      webhook: { userId: row.user_id, url: row.url, secret: row.secret, active: row.active },
      ownerDisabled: row.owner_disabled,
      event: { id: row.event_id, payload: row.payload },
    }));
  }

  /**
   * Logs each attempt and sets its delivery's new state, all atomically: inside `tx` when given,
   * else as one statement on PostgreSQL (one round trip) or one transaction on SQLite.
   */
  async recordAttempts(
    recorded: { attempt: NewAttempt; outcome: DeliveryOutcome }[],
    tx?: EntityManager,
  ): Promise<void> {
    if (recorded.length === 0) return;
    if (tx) return this.recordIn(tx, recorded);
    if (this.db.options.type !== 'postgres')
      return inTransaction(this.db, (own) => this.recordIn(own, recorded));
    const column = <T>(pick: (r: (typeof recorded)[number]) => T) => recorded.map(pick);
    await this.db.query(
      `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[],
           $7::timestamptz[], $8::varchar[], $9::bigint[], $10::timestamptz[])
           AS v("delivery_id", "attempt", "status_code", "duration_ms", "error", "response_body",
             "created_at", "status", "next_attempt_at", "updated_at")
       ), a AS (
         INSERT INTO "webhook_attempts"
           ("delivery_id", "attempt", "status_code", "duration_ms", "error", "response_body", "created_at")
         SELECT "delivery_id", "attempt", "status_code", "duration_ms", "error", "response_body", "created_at"
         FROM v
       )
       UPDATE "webhook_deliveries" d
       SET "status" = v."status", "next_attempt_at" = v."next_attempt_at", "updated_at" = v."updated_at"
       FROM v WHERE d."id" = v."delivery_id"`,
      [
        column((r) => r.attempt.deliveryId),
        column((r) => r.attempt.attempt),
        column((r) => r.attempt.statusCode),
        column((r) => r.attempt.durationMs),
        column((r) => r.attempt.error),
        column((r) => r.attempt.responseBody),
        column((r) => r.attempt.createdAt),
        column((r) => r.outcome.status),
        column((r) => r.outcome.nextAttemptAt),
        column((r) => r.outcome.updatedAt),
      ],
    );
  }

  private async recordIn(
    tx: EntityManager,
    recorded: { attempt: NewAttempt; outcome: DeliveryOutcome }[],
  ): Promise<void> {
    await tx.insert(
      WebhookAttemptEntity,
      recorded.map((r) => r.attempt),
    );
    for (const { attempt, outcome } of recorded)
      await tx.update(WebhookDeliveryEntity, { id: attempt.deliveryId }, outcome);
  }

  /** Switches the webhook off (a 410 Gone from its receiver). */
  async deactivateWebhook(tx: EntityManager, webhookId: string, now: Date): Promise<void> {
    await tx.update(WebhookEntity, { id: webhookId }, { active: false, updatedAt: now });
  }

  /** A page of the webhook's deliveries, each with its event. */
  findPage(webhookId: string, query: ListQueryDto): Promise<[WebhookDeliveryEntity[], number]> {
    return this.db.getRepository(WebhookDeliveryEntity).findAndCount({
      where: { webhookId },
      relations: { event: true },
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
  }

  /** The webhook's delivery, with its event. */
  findOfWebhook(webhookId: string, id: string): Promise<WebhookDeliveryEntity | null> {
    return this.db.getRepository(WebhookDeliveryEntity).findOne({
      where: { id, webhookId },
      relations: { event: true },
    });
  }

  /** The attempts of one delivery or of several, in the order they were made. */
  attemptsOf(deliveryId: string | string[]): Promise<WebhookAttemptEntity[]> {
    return this.db.getRepository(WebhookAttemptEntity).find({
      where: { deliveryId: Array.isArray(deliveryId) ? In(deliveryId) : deliveryId },
      order: { attempt: 'ASC' },
    });
  }

  async reschedule(
    id: string,
    fields: Pick<WebhookDeliveryEntity, 'status' | 'nextAttemptAt' | 'maxAttempts' | 'updatedAt'>,
  ): Promise<void> {
    await this.db.getRepository(WebhookDeliveryEntity).update({ id }, fields);
  }

  /** An event and its one delivery, together. */
  insertWithEvent(event: WebhookEventEntity, delivery: WebhookDeliveryEntity): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      await tx.insert(WebhookEventEntity, event);
      await tx.insert(WebhookDeliveryEntity, delivery);
    });
  }

  /** Pending deliveries due before `dueBy`, the most overdue first. */
  findOverdue(
    dueBy: number,
    take: number,
  ): Promise<Pick<WebhookDeliveryEntity, 'id' | 'attempts'>[]> {
    return this.db.getRepository(WebhookDeliveryEntity).find({
      select: { id: true, attempts: true },
      where: { status: 'pending', nextAttemptAt: LessThanOrEqual(dueBy) },
      order: { nextAttemptAt: 'ASC' },
      take,
    });
  }
}
