import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

import { bigintNumber } from '../../core/database/bigint.transformer';
import { WebhookEntity } from './webhook.entity';
import { WebhookEventEntity } from './webhook-event.entity';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

@Entity({ name: 'webhook_deliveries' })
@Index('ix_webhook_deliveries_webhook_created', ['webhookId', 'createdAt', 'id'])
@Index('ix_webhook_deliveries_due', ['status', 'nextAttemptAt'])
@Index('ix_webhook_deliveries_event', ['eventId', 'status'])
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: WebhookEntity;

  @Column({ name: 'event_id', type: 'varchar', length: 40 })
  eventId: string;

  @ManyToOne(() => WebhookEventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: WebhookEventEntity;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts: number;

  /** Epoch ms: compared as a number on both databases. While an attempt runs, its lease end. */
  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: bigintNumber })
  nextAttemptAt: number;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
