import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { EnvService } from '../core/env/env.service';
import { EVENT_SINK } from '../core/events/event-sink';
import { SecretBox } from '../core/secrets/secret-box';
import { UserEntity } from '../users/entities/user.entity';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryService } from './delivery.service';
import { DeliveryQueue } from './delivery-queue';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhookAttemptEntity } from './entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEventEntity } from './entities/webhook-event.entity';
import { WebhookDeliveriesProcessor } from './jobs/webhook-deliveries.processor';
import { WebhookHousekeepingProcessor } from './jobs/webhook-housekeeping.processor';
import { SubscriptionCache } from './subscription-cache';
import { WebhookHousekeepingService } from './webhook-housekeeping.service';
import { WebhookSender } from './webhook-sender';
import { WebhookSubscriber } from './webhook-subscriber';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** Webhook CRUD and delivery; plugged into core/events as the subscriber of every event. */
@Module({})
export class WebhooksModule {
  static forRole({ api, worker }: { api: boolean; worker: boolean }): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [
        TypeOrmModule.forFeature([
          WebhookEntity,
          WebhookEventEntity,
          WebhookDeliveryEntity,
          WebhookAttemptEntity,
          // The owner relation, for a worker that loads no UsersModule.
          UserEntity,
        ]),
      ],
      controllers: api ? [WebhooksController] : [],
      providers: [
        WebhookSubscriber,
        { provide: EVENT_SINK, useExisting: WebhookSubscriber },
        DeliveryQueue,
        SubscriptionCache,
        DeliveriesRepository,
        DeliveryService,
        WebhookSender,
        WebhooksService,
        WebhooksRepository,
        {
          provide: SecretBox,
          useFactory: (env: EnvService) => new SecretBox(env.get('secretsKeys')),
          inject: [EnvService],
        },
        ...(worker
          ? [WebhookDeliveriesProcessor, WebhookHousekeepingService, WebhookHousekeepingProcessor]
          : []),
      ],
      exports: [EVENT_SINK],
    };
  }
}
