import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThanOrEqual } from 'typeorm';

import { EnvService } from '../core/env/env.service';
import { EventsService } from '../core/events/events.service';
import { SecretBox, SecretDecryptionError } from '../core/secrets/secret-box';
import { MetricsService } from '../metrics/metrics.service';
import { DeliveryQueue } from './delivery-queue';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookAttemptEntity } from './entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { SendResult, sendWebhook } from './webhook-sender';

// How long an attempt owns its delivery; past it, a dead worker's attempt is taken up again.
const LEASE_MARGIN_MS = 15_000;
const RECONCILE_BATCH = 500;

/** A delivery whose next attempt this worker has taken, with what sending it needs. */
interface Claimed {
  delivery: Pick<WebhookDeliveryEntity, 'id' | 'webhookId' | 'attempts' | 'maxAttempts'>;
  webhook: Pick<WebhookEntity, 'userId' | 'url' | 'secret' | 'active'>;
  ownerDisabled: boolean;
  event: Pick<WebhookEventEntity, 'id' | 'payload'>;
}

interface ClaimedRow {
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

/** Carries out deliveries: one attempt at a time per delivery, every attempt logged. */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly queue: DeliveryQueue,
    private readonly env: EnvService,
    private readonly metrics: MetricsService,
    private readonly secrets: SecretBox,
  ) {}

  /** Makes the next attempt if the delivery is due; a job for an attempt already made does nothing. */
  async attempt(deliveryId: string): Promise<void> {
    const claimed = await this.claim(deliveryId);
    if (!claimed) return;
    const { delivery, webhook, event, ownerDisabled } = claimed;
    if (!webhook.active || ownerDisabled) {
      // Switched off, or its owner disabled, since the event: the delivery ends here (failed,
      // nothing sent) rather than being retried for a day.
      const off = {
        success: false,
        statusCode: null,
        durationMs: 0,
        error: ownerDisabled
          ? 'not sent: the owner of the webhook is disabled'
          : 'the webhook is disabled',
        responseBody: null,
      };
      await this.record({ ...delivery, maxAttempts: delivery.attempts }, webhook.userId, off);
      return;
    }
    await this.record(delivery, webhook.userId, await this.send(webhook, event));
  }

  /** Takes the delivery's next attempt (counted, leased) if it is due, with what sending it needs. */
  private async claim(deliveryId: string): Promise<Claimed | null> {
    const now = Date.now();
    const lease = now + this.env.get('WEBHOOK_TIMEOUT_MS') + LEASE_MARGIN_MS;
    if (this.db.options.type === 'postgres') {
      // Claimed and read in one round trip.
      const [rows] = (await this.db.query(
        `UPDATE "webhook_deliveries" d
         SET "attempts" = d."attempts" + 1, "next_attempt_at" = $2, "updated_at" = $3
         FROM "webhooks" w, "webhook_events" e, "users" u
         WHERE d."id" = $1 AND d."status" = 'pending' AND d."next_attempt_at" <= $4
           AND w."id" = d."webhook_id" AND e."id" = d."event_id" AND u."id" = w."user_id"
         RETURNING d."webhook_id", w."user_id", d."attempts", d."max_attempts", w."url", w."secret", w."active",
           u."disabled" AS "owner_disabled", e."id" AS "event_id", e."payload"`,
        [deliveryId, lease, new Date(now), now],
      )) as [ClaimedRow[], number];
      const row = rows[0];
      if (!row) return null;
      return {
        delivery: {
          id: deliveryId,
          webhookId: row.webhook_id,
          attempts: row.attempts,
          maxAttempts: row.max_attempts,
        },
        webhook: { userId: row.user_id, url: row.url, secret: row.secret, active: row.active },
        ownerDisabled: row.owner_disabled,
        event: { id: row.event_id, payload: row.payload },
      };
    }
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

  /** POST /webhooks/:id/test: one attempt now, never retried. */
  async sendOnce(
    webhook: WebhookEntity,
    event: WebhookEventEntity,
    delivery: WebhookDeliveryEntity,
  ) {
    const result = await this.send(webhook, event);
    await this.record({ ...delivery, attempts: 1, maxAttempts: 1 }, webhook.userId, result);
    return result;
  }

  private async send(webhook: Claimed['webhook'], event: Claimed['event']): Promise<SendResult> {
    let secret: string;
    try {
      secret = this.secrets.open(webhook.secret);
    } catch (err) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      this.logger.error(`Cannot sign event ${event.id}: ${err.message}`);
      const error = `not sent: ${err.message}`;
      return { success: false, statusCode: null, durationMs: 0, error, responseBody: null };
    }
    return sendWebhook({
      url: webhook.url,
      secret,
      eventId: event.id,
      payload: event.payload,
      timeoutMs: this.env.get('WEBHOOK_TIMEOUT_MS'),
      allowPrivate: this.env.get('WEBHOOK_ALLOW_PRIVATE_URLS'),
    });
  }

  private async record(
    delivery: Claimed['delivery'],
    owner: string,
    result: SendResult,
  ): Promise<void> {
    const gone = result.statusCode === 410;
    const delays = this.env.get('webhookRetryDelaysMs');
    const retry = !result.success && !gone && delivery.attempts < delivery.maxAttempts;
    const delay = delays[Math.min(delivery.attempts - 1, delays.length - 1)] ?? 0;
    const now = new Date();
    const attempt = {
      deliveryId: delivery.id,
      attempt: delivery.attempts,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error,
      responseBody: result.responseBody,
      createdAt: now,
    };
    const outcome = {
      status: result.success
        ? ('succeeded' as const)
        : retry
          ? ('pending' as const)
          : ('failed' as const),
      nextAttemptAt: retry ? now.getTime() + delay : now.getTime(),
      updatedAt: now,
    };
    if (this.db.options.type === 'postgres' && !gone) {
      // The attempt and the delivery's new state in one statement: one round trip, still atomic.
      await this.db.query(
        `WITH a AS (
           INSERT INTO "webhook_attempts"
             ("delivery_id", "attempt", "status_code", "duration_ms", "error", "response_body", "created_at")
           VALUES ($1, $2, $3, $4, $5, $6, $7)
         )
         UPDATE "webhook_deliveries" SET "status" = $8, "next_attempt_at" = $9, "updated_at" = $7 WHERE "id" = $1`,
        [
          attempt.deliveryId,
          attempt.attempt,
          attempt.statusCode,
          attempt.durationMs,
          attempt.error,
          attempt.responseBody,
          now,
          outcome.status,
          outcome.nextAttemptAt,
        ],
      );
    } else {
      await this.events.transaction(this.db, async (tx, emit) => {
        await tx.insert(WebhookAttemptEntity, attempt);
        await tx.update(WebhookDeliveryEntity, { id: delivery.id }, outcome);
        // 410 Gone: the receiver asks never to be called again.
        if (gone) {
          await tx.update(
            WebhookEntity,
            { id: delivery.webhookId },
            { active: false, updatedAt: now },
          );
          await emit('webhook.changed', { userId: owner }, { id: delivery.webhookId });
        }
      });
    }
    this.metrics.countJob(
      'webhook_attempts',
      result.success ? 'succeeded' : gone ? 'gone' : 'failed',
    );
    if (gone) this.logger.warn(`Webhook ${delivery.webhookId} answered 410 and is now disabled`);
    if (retry)
      await this.queue.enqueue([{ id: delivery.id, attempt: delivery.attempts + 1 }], delay);
  }

  /** Re-enqueues pending deliveries that are overdue: their job vanished (Redis flushed) or their worker died. */
  async reconcile(graceMs: number): Promise<number> {
    const due = await this.db.getRepository(WebhookDeliveryEntity).find({
      select: { id: true, attempts: true },
      where: { status: 'pending', nextAttemptAt: LessThanOrEqual(Date.now() - graceMs) },
      order: { nextAttemptAt: 'ASC' },
      take: RECONCILE_BATCH,
    });
    const sent = await this.queue.enqueue(due.map((d) => ({ id: d.id, attempt: d.attempts + 1 })));
    return sent ? due.length : 0;
  }
}
