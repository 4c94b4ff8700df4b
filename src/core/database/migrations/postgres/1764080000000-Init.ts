import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764080000000 implements MigrationInterface {
  name = 'Init1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "users" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "email" varchar(254) NOT NULL,
      "name" varchar(100),
      "password_hash" varchar(255) NOT NULL,
      "role" varchar(16) NOT NULL,
      "disabled" boolean NOT NULL DEFAULT false,
      "created_at" timestamptz NOT NULL,
      "updated_at" timestamptz NOT NULL
    )`);
    await q.query(`CREATE UNIQUE INDEX "ux_users_email" ON "users" ("email")`);
    await q.query(`CREATE INDEX "ix_users_created_at" ON "users" ("created_at")`);

    await q.query(`CREATE TABLE "api_keys" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "name" varchar(100) NOT NULL,
      "prefix" varchar(16) NOT NULL,
      "key_hash" varchar(64) NOT NULL,
      "created_at" timestamptz NOT NULL,
      "expires_at" timestamptz,
      "last_used_at" timestamptz
    )`);
    await q.query(`CREATE UNIQUE INDEX "ux_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await q.query(
      `CREATE INDEX "ix_api_keys_user_created" ON "api_keys" ("user_id", "created_at")`,
    );

    await q.query(`CREATE TABLE "system_settings" (
      "key" varchar(64) PRIMARY KEY,
      "value" text NOT NULL,
      "updated_at" timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "system_settings"`);
    await q.query(`DROP TABLE "api_keys"`);
    await q.query(`DROP TABLE "users"`);
  }
}
