import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

import { TimestampedEntity } from '../../core/database/timestamped.entity';
import { UserEntity } from '../../users/entities/user.entity';

@Entity({ name: 'sessions' })
@Index('ix_sessions_user_created', ['userId', 'createdAt', 'id'])
export class SessionEntity extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** Null: the configured default model. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  model: string | null;

  /** The last message sequence number handed out; bumped under the row lock of each turn. */
  @Column({ name: 'last_seq', type: 'int', default: 0 })
  lastSeq: number;

  /** Messages in the session now: a message list's `total`, kept with every insert and delete. */
  @Column({ name: 'message_count', type: 'int', default: 0 })
  messageCount: number;
}
