import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Server-wide values that every replica must share, such as a generated JWT secret. */
@Entity({ name: 'system_settings' })
export class SystemSettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key: string;

  @Column({ type: 'text' })
  value: string;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
