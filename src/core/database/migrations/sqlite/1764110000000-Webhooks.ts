import { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1764110000000 implements MigrationInterface {
  name = 'Webhooks1764110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "webhooks" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_id" varchar(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "url" varchar(2048) NOT NULL,
      "events" text NOT NULL,
      "description" varchar(500) NOT NULL DEFAULT '',
      "active" boolean NOT NULL DEFAULT (1),
      "secret" varchar(100) NOT NULL,
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL
    )`);
    await q.query(
      `CREATE INDEX "ix_webhooks_user_created" ON "webhooks" ("user_id", "created_at")`,
    );

    await q.query(`CREATE TABLE "webhook_events" (
      "id" varchar(40) PRIMARY KEY NOT NULL,
      "type" varchar(64) NOT NULL,
      "payload" text NOT NULL,
      "created_at" datetime NOT NULL
    )`);

    await q.query(`CREATE TABLE "webhook_deliveries" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "webhook_id" varchar(36) NOT NULL REFERENCES "webhooks" ("id") ON DELETE CASCADE,
      "event_id" varchar(40) NOT NULL REFERENCES "webhook_events" ("id") ON DELETE CASCADE,
      "status" varchar(16) NOT NULL,
      "attempts" integer NOT NULL DEFAULT 0,
      "max_attempts" integer NOT NULL,
      "next_attempt_at" bigint NOT NULL,
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL
    )`);
    await q.query(
      `CREATE INDEX "ix_webhook_deliveries_webhook_created" ON "webhook_deliveries" ("webhook_id", "created_at")`,
    );
    await q.query(
      `CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("status", "next_attempt_at")`,
    );

    await q.query(`CREATE TABLE "webhook_attempts" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "delivery_id" varchar(36) NOT NULL REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE,
      "attempt" integer NOT NULL,
      "status_code" integer,
      "duration_ms" integer NOT NULL,
      "error" text,
      "response_body" text,
      "created_at" datetime NOT NULL
    )`);
    await q.query(
      `CREATE INDEX "ix_webhook_attempts_delivery" ON "webhook_attempts" ("delivery_id", "attempt")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "webhook_attempts"`);
    await q.query(`DROP TABLE "webhook_deliveries"`);
    await q.query(`DROP TABLE "webhook_events"`);
    await q.query(`DROP TABLE "webhooks"`);
  }
}
