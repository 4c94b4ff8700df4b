import { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per `quota.exceeded` fired: a subject's limit in one UTC period, never twice. */
export class QuotaAlerts1764245000000 implements MigrationInterface {
  name = 'QuotaAlerts1764245000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "quota_alerts" (
      "subject" varchar(48) NOT NULL,
      "limit_name" varchar(32) NOT NULL,
      "period" varchar(10) NOT NULL,
      "created_at" datetime NOT NULL,
      PRIMARY KEY ("subject", "limit_name", "period")
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "quota_alerts"`);
  }
}
