import { Column, Entity, PrimaryColumn } from 'typeorm';

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

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
