import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

import { UserEntity } from '../../users/entities/user.entity';
import { SkillEntity } from './skill.entity';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out';
export const FINISHED: readonly RunStatus[] = ['succeeded', 'failed', 'timed_out'];

@Entity({ name: 'skill_runs' })
@Index('ix_skill_runs_skill_created', ['skillId', 'createdAt', 'id'])
@Index('ix_skill_runs_skill_user_created', ['skillId', 'userId', 'createdAt', 'id'])
@Index('ix_skill_runs_status', ['status'])
export class SkillRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'skill_id', type: 'uuid' })
  skillId: string;

  @ManyToOne(() => SkillEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'skill_id' })
  skill?: SkillEntity;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 16 })
  status: RunStatus;

  @Column({ type: 'simple-json' })
  params: Record<string, string | number | boolean>;

  @Column({ name: 'exit_code', type: 'int', nullable: true })
  exitCode: number | null;

  @Column({ type: 'text', default: '' })
  stdout: string;

  @Column({ type: 'text', default: '' })
  stderr: string;

  @Column({ name: 'output_truncated', type: 'boolean', default: false })
  outputTruncated: boolean;

  @Column({ name: 'duration_ms', type: 'int', nullable: true })
  durationMs: number | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'started_at', type: Date, nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: Date, nullable: true })
  finishedAt: Date | null;
}
