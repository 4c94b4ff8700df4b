import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

import { TimestampedEntity } from '../../core/database/timestamped.entity';
import { UserEntity } from '../../users/entities/user.entity';

@Entity({ name: 'webhooks' })
@Index('ix_webhooks_user_created', ['userId', 'createdAt', 'id'])
export class WebhookEntity extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'simple-json' })
  events: string[];

  @Column({ type: 'varchar', length: 500, default: '' })
  description: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /**
   * Needed in clear to sign deliveries; shown only at creation and rotation. With SECRETS_KEY set,
   * stored sealed (`enc:v1:…`, 95 characters for a whsec_ secret).
   */
  @Column({ type: 'varchar', length: 100 })
  secret: string;
}
