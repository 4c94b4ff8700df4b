import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import type { Role } from '../../core/auth/role';
import type { UserQuota } from '../../core/auth/user-quota';
import { jsonText } from '../../core/database/json-text.transformer';
import { TimestampedEntity } from '../../core/database/timestamped.entity';

export { type Role, ROLES } from '../../core/auth/role';

@Entity({ name: 'users' })
@Index('ix_users_created_at', ['createdAt', 'id'])
export class UserEntity extends TimestampedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ux_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16 })
  role: Role;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  /** Carried in every JWT; bumped by a password, e-mail or role change or a disable to revoke them. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion: number;

  /** Null: the config's `default_user_quota` applies. */
  @Column({ type: 'text', nullable: true, transformer: jsonText })
  quota: UserQuota | null;
}
