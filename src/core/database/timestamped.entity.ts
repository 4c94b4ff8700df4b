import { BeforeInsert, BeforeUpdate, Column } from 'typeorm';

/**
 * Timestamps are set by the application, not by column defaults, so SQLite keeps millisecond
 * precision and both dialects store the same instant.
 */
export abstract class TimestampedEntity {
  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;

  @BeforeInsert()
  protected stampInsert(): void {
    const now = new Date();
    this.createdAt ??= now;
    this.updatedAt = this.createdAt;
  }

  @BeforeUpdate()
  protected stampUpdate(): void {
    this.updatedAt = new Date();
  }
}
