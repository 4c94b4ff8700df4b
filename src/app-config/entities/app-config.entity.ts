import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { UserQuota } from '../../core/auth/user-quota';
import { jsonText } from '../../core/database/json-text.transformer';

/** The one row of runtime settings (id 1); null columns fall back to the defaults. */
@Entity({ name: 'app_config' })
export class AppConfigEntity {
  @PrimaryColumn({ type: 'int' })
  id: number;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model: string | null;

  @Column({ type: 'double precision', nullable: true })
  temperature: number | null;

  @Column({ name: 'max_tokens', type: 'int', nullable: true })
  maxTokens: number | null;

  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt: string | null;

  /** The quota of every user whose own is null; null: no limit. */
  @Column({ name: 'default_user_quota', type: 'text', nullable: true, transformer: jsonText })
  defaultUserQuota: UserQuota | null;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
