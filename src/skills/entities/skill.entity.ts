import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import { TimestampedEntity } from '../../core/database/timestamped.entity';

@Entity({ name: 'skills' })
@Index('ix_skills_created_at', ['createdAt', 'id'])
export class SkillEntity extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ux_skills_name', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 1000, default: '' })
  description: string;

  @Column({ type: 'text' })
  script: string;

  @Column({ name: 'timeout_ms', type: 'int' })
  timeoutMs: number;
}
