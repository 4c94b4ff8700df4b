import { randomBytes, randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { Principal } from '../core/auth/principal';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ADMIN_EVENTS } from '../core/events/event-catalogue';
import { EventsService } from '../core/events/events.service';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import { SecretBox } from '../core/secrets/secret-box';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryService } from './delivery.service';
import { DeliveryQueue, newEventId } from './delivery-queue';
import type { CreateWebhookDto } from './dto/create-webhook.dto';
import type { AttemptResponseDto, DeliveryResponseDto } from './dto/delivery-response.dto';
import type { TestDeliveryResponseDto } from './dto/test-delivery-response.dto';
import type { UpdateWebhookDto } from './dto/update-webhook.dto';
import type { WebhookResponseDto } from './dto/webhook-response.dto';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookAttemptEntity } from './entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { resolveTarget, UnresolvableHostError, UnsafeUrlError } from './url-guard';
import { WebhooksRepository } from './webhooks.repository';

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly deliveries: DeliveriesRepository,
    @InjectDataSource() private readonly db: DataSource,
    private readonly delivery: DeliveryService,
    private readonly events: EventsService,
    private readonly queue: DeliveryQueue,
    private readonly env: EnvService,
    private readonly secrets: SecretBox,
  ) {}

  async create(actor: Principal, dto: CreateWebhookDto): Promise<WebhookResponseDto> {
    this.checkEvents(actor, dto.events);
    await this.checkUrl(dto.url);
    const secret = newSecret();
    const max = this.env.get('MAX_WEBHOOKS_PER_USER');
    const hook = await this.events.transaction(this.db, async (tx, emit) => {
      if ((await this.repo.countForUpdate(tx, actor.userId)) >= max)
        throw new AppException(
          ErrorCode.CONFLICT,
          `At most ${max} webhooks per user (MAX_WEBHOOKS_PER_USER); delete one first`,
        );
      const saved = await this.repo.insert(tx, {
        userId: actor.userId,
        url: dto.url,
        events: [...new Set(dto.events)],
        description: dto.description ?? '',
        active: true,
        secret: this.secrets.seal(secret),
      });
      await emit('webhook.changed', { userId: actor.userId }, { id: saved.id });
      return saved;
    });
    return this.toResponse(hook, secret);
  }

  async list(actor: Principal, query: ListQueryDto): Promise<Page<WebhookResponseDto>> {
    const [rows, total] = await this.repo.findPage(actor.userId, query);
    return page(
      rows.map((h) => this.toResponse(h)),
      total,
      query,
    );
  }

  async get(actor: Principal, id: string): Promise<WebhookResponseDto> {
    return this.toResponse(await this.findOwned(actor, id));
  }

  async update(actor: Principal, id: string, dto: UpdateWebhookDto): Promise<WebhookResponseDto> {
    const hook = await this.findOwned(actor, id);
    if (dto.events !== undefined) this.checkEvents(actor, dto.events);
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    if (dto.url !== undefined) hook.url = dto.url;
    if (dto.events !== undefined) hook.events = [...new Set(dto.events)];
    if (dto.active !== undefined) hook.active = dto.active;
    if (dto.description !== undefined) hook.description = dto.description;
    const saved = await this.events.transaction(this.db, async (tx, emit) => {
      const stored = await this.repo.save(hook, tx);
      await emit('webhook.changed', { userId: actor.userId }, { id: hook.id });
      return stored;
    });
    return this.toResponse(saved);
  }

  async remove(actor: Principal, id: string): Promise<void> {
    const hook = await this.findOwned(actor, id);
    await this.events.transaction(this.db, async (tx, emit) => {
      await this.repo.delete(tx, hook.id);
      await emit('webhook.changed', { userId: actor.userId }, { id: hook.id });
    });
  }

  async rotateSecret(actor: Principal, id: string): Promise<WebhookResponseDto> {
    const hook = await this.findOwned(actor, id);
    const secret = newSecret();
    hook.secret = this.secrets.seal(secret);
    return this.toResponse(await this.repo.save(hook), secret);
  }

  async listDeliveries(
    actor: Principal,
    id: string,
    query: ListQueryDto,
  ): Promise<Page<DeliveryResponseDto>> {
    const hook = await this.findOwned(actor, id);
    const [rows, total] = await this.deliveries.findPage(hook.id, query);
    const attempts = rows.length ? await this.deliveries.attemptsOf(rows.map((r) => r.id)) : [];
    return page(
      rows.map((d) =>
        this.toDelivery(
          d,
          attempts.filter((a) => a.deliveryId === d.id),
        ),
      ),
      total,
      query,
    );
  }

  async getDelivery(
    actor: Principal,
    id: string,
    deliveryId: string,
  ): Promise<DeliveryResponseDto> {
    const delivery = await this.findDelivery(actor, id, deliveryId);
    const attempts = await this.deliveries.attemptsOf(delivery.id);
    return this.toDelivery(delivery, attempts);
  }

  /** Sends the delivery again, whatever its state: one more attempt, then the usual retries if it fails. */
  async retryDelivery(
    actor: Principal,
    id: string,
    deliveryId: string,
  ): Promise<DeliveryResponseDto> {
    const delivery = await this.findDelivery(actor, id, deliveryId);
    const now = new Date();
    await this.deliveries.reschedule(delivery.id, {
      status: 'pending',
      nextAttemptAt: now.getTime(),
      maxAttempts: Math.max(delivery.maxAttempts, delivery.attempts + 1),
      updatedAt: now,
    });
    await this.queue.enqueueNow({ id: delivery.id, attempt: delivery.attempts + 1 });
    return this.getDelivery(actor, id, deliveryId);
  }

  /** Sends a `webhook.test` event once, now, and reports how it went. */
  async test(actor: Principal, id: string): Promise<TestDeliveryResponseDto> {
    const hook = await this.findOwned(actor, id);
    const now = new Date();
    const eventId = newEventId();
    const event: WebhookEventEntity = {
      id: eventId,
      type: 'webhook.test',
      payload: JSON.stringify({
        id: eventId,
        type: 'webhook.test',
        created_at: now.toISOString(),
        data: { webhook_id: hook.id, message: 'This is a test delivery from OpenClaw' },
      }),
      createdAt: now,
    };
    const delivery: WebhookDeliveryEntity = {
      id: randomUUID(),
      webhookId: hook.id,
      eventId,
      status: 'pending',
      attempts: 1,
      maxAttempts: 1,
      // Never due for the reconciler: this attempt is made right here.
      nextAttemptAt: Number.MAX_SAFE_INTEGER,
      createdAt: now,
      updatedAt: now,
    };
    // Straight to this one webhook, whatever it subscribes to: not an event for the subscribers.
    await this.deliveries.insertWithEvent(event, delivery);
    const result = await this.delivery.sendOnce(hook, event, delivery);
    return {
      delivery_id: delivery.id,
      success: result.success,
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      error: result.error,
    };
  }

  private async findOwned(actor: Principal, id: string): Promise<WebhookEntity> {
    const hook = await this.repo.findOwned(actor.userId, id);
    if (!hook) throw new AppException(ErrorCode.WEBHOOK_NOT_FOUND);
    return hook;
  }

  private async findDelivery(
    actor: Principal,
    id: string,
    deliveryId: string,
  ): Promise<WebhookDeliveryEntity> {
    const hook = await this.findOwned(actor, id);
    const delivery = await this.deliveries.findOfWebhook(hook.id, deliveryId);
    if (!delivery) throw new AppException(ErrorCode.DELIVERY_NOT_FOUND);
    return delivery;
  }

  private checkEvents(actor: Principal, events: string[]): void {
    const adminOnly = events.filter((e) => ADMIN_EVENTS.includes(e));
    if (actor.role !== 'admin' && adminOnly.length > 0) {
      throw new AppException(
        ErrorCode.FORBIDDEN,
        `Only admins may subscribe to ${adminOnly.join(', ')}`,
      );
    }
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await resolveTarget(url, this.env.get('WEBHOOK_ALLOW_PRIVATE_URLS'));
    } catch (err) {
      // A name without DNS records yet is accepted: every delivery checks the address again.
      if (err instanceof UnresolvableHostError) return;
      if (!(err instanceof UnsafeUrlError)) throw err;
      throw AppException.validation([{ field: 'url', message: `url is refused: ${err.message}` }]);
    }
  }

  /** `secret` is given (in clear) only on create and rotate-secret. */
  private toResponse(hook: WebhookEntity, secret?: string): WebhookResponseDto {
    return {
      id: hook.id,
      url: hook.url,
      events: hook.events,
      description: hook.description,
      active: hook.active,
      ...(secret !== undefined ? { secret } : {}),
      created_at: hook.createdAt,
      updated_at: hook.updatedAt,
    };
  }

  private toDelivery(
    d: WebhookDeliveryEntity,
    attempts: WebhookAttemptEntity[],
  ): DeliveryResponseDto {
    return {
      id: d.id,
      webhook_id: d.webhookId,
      event_id: d.eventId,
      event_type: d.event?.type ?? '',
      status: d.status,
      attempts: attempts.map((a): AttemptResponseDto => ({
        attempt: a.attempt,
        status_code: a.statusCode,
        duration_ms: a.durationMs,
        error: a.error,
        response_body: a.responseBody,
        created_at: a.createdAt,
      })),
      next_attempt_at:
        d.status === 'pending' && d.nextAttemptAt < Number.MAX_SAFE_INTEGER
          ? new Date(d.nextAttemptAt)
          : null,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
    };
  }
}
