import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { EnvService } from '../core/env/env.service';
import { EventsService } from '../core/events/events.service';
import { SecretBox, SecretDecryptionError } from '../core/secrets/secret-box';
import { MetricsService } from '../metrics/metrics.service';
import { Batcher } from './batcher';
import {
  Claimed,
  DeliveriesRepository,
  DeliveryOutcome,
  NewAttempt,
} from './deliveries.repository';
import { DeliveryQueue } from './delivery-queue';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { SendResult, WebhookSender } from './webhook-sender';

// How long an attempt owns its delivery; past it, a dead worker's attempt is taken up again.
const LEASE_MARGIN_MS = 15_000;
const RECONCILE_BATCH = 500;
// Attempts claimed or recorded by one statement at most.
const STATEMENT_BATCH = 100;

interface Recorded {
  attempt: NewAttempt;
  outcome: DeliveryOutcome;
  /** Its label in the webhook_attempts counter. */
  counted: string;
}

/** Carries out deliveries: one attempt at a time per delivery, every attempt logged. */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);
  // The worker's concurrent attempts share their claims and their records, a statement for many.
  private readonly claims = new Batcher<string, Claimed | null>((ids) => {
    const now = Date.now();
    const lease = now + this.env.get('WEBHOOK_TIMEOUT_MS') + LEASE_MARGIN_MS;
    return this.deliveries.claimMany(ids, now, lease);
  }, STATEMENT_BATCH);
  private readonly records = new Batcher<Recorded, void>(async (recorded) => {
    await this.deliveries.recordAttempts(recorded);
    // Counted once recorded, one Redis call per outcome rather than per attempt.
    const counts = new Map<string, number>();
    for (const { counted } of recorded) counts.set(counted, (counts.get(counted) ?? 0) + 1);
    for (const [label, n] of counts) this.metrics.countJob('webhook_attempts', label, n);
    return [];
  }, STATEMENT_BATCH);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly deliveries: DeliveriesRepository,
    private readonly events: EventsService,
    private readonly queue: DeliveryQueue,
    private readonly env: EnvService,
    private readonly metrics: MetricsService,
    private readonly secrets: SecretBox,
    private readonly sender: WebhookSender,
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
      await this.record(
        Object.assign({}, delivery, { maxAttempts: delivery.attempts }),
        webhook.userId,
        off,
      );
      return;
    }
    await this.record(delivery, webhook.userId, await this.send(webhook, event));
  }

  /** Takes the delivery's next attempt (counted, leased) if it is due, with what sending it needs. */
  private claim(deliveryId: string): Promise<Claimed | null> {
    return this.claims.add(deliveryId);
  }

  /** POST /webhooks/:id/test: one attempt now, never retried. */
  async sendOnce(
    webhook: WebhookEntity,
    event: WebhookEventEntity,
    delivery: WebhookDeliveryEntity,
  ) {
    const result = await this.send(webhook, event);
    await this.record(
      Object.assign({}, delivery, { attempts: 1, maxAttempts: 1 }),
      webhook.userId,
      result,
    );
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
    return this.sender.send({
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
    if (gone) {
      // 410 Gone: the receiver asks never to be called again.
      await this.events.transaction(this.db, async (tx, emit) => {
        await this.deliveries.recordAttempts([{ attempt, outcome }], tx);
        await this.deliveries.deactivateWebhook(tx, delivery.webhookId, now);
        await emit('webhook.changed', { userId: owner }, { id: delivery.webhookId });
      });
      this.metrics.countJob('webhook_attempts', 'gone');
    } else {
      const counted = result.success ? 'succeeded' : 'failed';
      await this.records.add({ attempt, outcome, counted });
    }
    if (gone) this.logger.warn(`Webhook ${delivery.webhookId} answered 410 and is now disabled`);
    if (retry)
      await this.queue.enqueue([{ id: delivery.id, attempt: delivery.attempts + 1 }], delay);
  }

  /** Re-enqueues pending deliveries that are overdue: their job vanished (Redis flushed) or their worker died. */
  async reconcile(graceMs: number): Promise<number> {
    const due = await this.deliveries.findOverdue(Date.now() - graceMs, RECONCILE_BATCH);
    const sent = await this.queue.enqueue(due.map((d) => ({ id: d.id, attempt: d.attempts + 1 })));
    return sent ? due.length : 0;
  }
}
