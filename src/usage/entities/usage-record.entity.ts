import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type UsageStatus = 'complete' | 'incomplete' | 'failed';

/**
 * One provider call (SPEC §13). No relation to users or keys: usage is billing history and stays
 * when either is deleted.
 */
@Entity({ name: 'usage_records' })
@Index('ix_usage_records_user_created', ['userId', 'createdAt', 'id'])
@Index('ix_usage_records_api_key_created', ['apiKeyId', 'createdAt'])
@Index('ix_usage_records_created', ['createdAt', 'id'])
export class UsageRecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** Null for a call made with a JWT. */
  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId: string | null;

  @Column({ type: 'varchar', length: 100 })
  model: string;

  @Column({ type: 'varchar', length: 100 })
  provider: string;

  @Column({ type: 'varchar', length: 32 })
  endpoint: string;

  @Column({ type: 'varchar', length: 16 })
  status: UsageStatus;

  @Column({ name: 'input_tokens', type: 'int' })
  inputTokens: number;

  @Column({ name: 'output_tokens', type: 'int' })
  outputTokens: number;

  /** Null when the model has no price (never a guessed 0). */
  @Column({ name: 'cost_usd', type: 'double precision', nullable: true })
  costUsd: number | null;

  @Column({ name: 'latency_ms', type: 'int' })
  latencyMs: number;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
