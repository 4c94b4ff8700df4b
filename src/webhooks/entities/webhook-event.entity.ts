import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One event as delivered: its id stays the same across every retry (at-least-once). */
@Entity({ name: 'webhook_events' })
@Index('ix_webhook_events_created', ['createdAt'])
export class WebhookEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** The exact JSON body sent, so every attempt signs the same bytes. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
