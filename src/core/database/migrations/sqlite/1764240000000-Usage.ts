import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per provider call (SPEC §13). No foreign keys: usage is billing history, so it outlives
 * a deleted user or a revoked key, and deleting either never has to touch this table.
 * Limits: a user's `quota`, the config's `default_user_quota` (JSON text), a key's `models`
 * (JSON text) and `tokens_per_day`.
 */
export class Usage1764240000000 implements MigrationInterface {
  name = 'Usage1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "usage_records" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_id" varchar(36) NOT NULL,
      "api_key_id" varchar(36),
      "model" varchar(100) NOT NULL,
      "provider" varchar(100) NOT NULL,
      "endpoint" varchar(32) NOT NULL,
      "status" varchar(16) NOT NULL,
      "input_tokens" integer NOT NULL,
      "output_tokens" integer NOT NULL,
      "cost_usd" double precision,
      "latency_ms" integer NOT NULL,
      "created_at" datetime NOT NULL
    )`);
    await q.query(
      `CREATE INDEX "ix_usage_records_user_created" ON "usage_records" ("user_id", "created_at", "id")`,
    );
    await q.query(
      `CREATE INDEX "ix_usage_records_api_key_created" ON "usage_records" ("api_key_id", "created_at")`,
    );
    await q.query(
      `CREATE INDEX "ix_usage_records_created" ON "usage_records" ("created_at", "id")`,
    );
    await q.query(`ALTER TABLE "users" ADD COLUMN "quota" text`);
    await q.query(`ALTER TABLE "app_config" ADD COLUMN "default_user_quota" text`);
    await q.query(`ALTER TABLE "api_keys" ADD COLUMN "models" text`);
    await q.query(`ALTER TABLE "api_keys" ADD COLUMN "tokens_per_day" integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_keys" DROP COLUMN "tokens_per_day"`);
    await q.query(`ALTER TABLE "api_keys" DROP COLUMN "models"`);
    await q.query(`ALTER TABLE "app_config" DROP COLUMN "default_user_quota"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "quota"`);
    await q.query(`DROP TABLE "usage_records"`);
  }
}
