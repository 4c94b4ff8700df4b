import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

import { bigintNumber } from '../../core/database/bigint.transformer';
import { jsonText } from '../../core/database/json-text.transformer';
import { UserEntity } from '../../users/entities/user.entity';

@Entity({ name: 'api_keys' })
@Index('ix_api_keys_user_created', ['userId', 'createdAt', 'id'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  /** SHA-256 of the key: keys are 256-bit random, so a fast hash is safe and allows lookup. */
  @Index('ux_api_keys_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'last_used_at', type: Date, nullable: true })
  lastUsedAt: Date | null;

  /** The key's own request limit, below the user's; null: only the user's limit applies. */
  @Column({ name: 'rate_limit_per_minute', type: 'integer', nullable: true })
  rateLimitPerMinute: number | null;

  /** The only models the key may use; null: any model. */
  @Column({ type: 'text', nullable: true, transformer: jsonText })
  models: string[] | null;

  /** The key's own daily token limit, below the user's quota; null: none. */
  @Column({ name: 'tokens_per_day', type: 'bigint', nullable: true, transformer: bigintNumber })
  tokensPerDay: number | null;
}
