import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * That `quota.exceeded` was emitted for a subject's limit in one period: the row is written in
 * the event's own transaction, so the event fires once even after Redis lost its counters.
 */
@Entity({ name: 'quota_alerts' })
export class QuotaAlertEntity {
  /** `user:<id>` or `key:<id>`. */
  @PrimaryColumn({ type: 'varchar', length: 48 })
  subject: string;

  @PrimaryColumn({ name: 'limit_name', type: 'varchar', length: 32 })
  limitName: string;

  /** `YYYY-MM-DD` or `YYYY-MM` (UTC). */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  period: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
