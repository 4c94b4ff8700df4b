import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764080000000 implements MigrationInterface {
  name = 'Init1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "users" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "email" varchar(254) NOT NULL,
      "name" varchar(100),
      "password_hash" varchar(255) NOT NULL,
      "role" varchar(16) NOT NULL,
      "disabled" boolean NOT NULL DEFAULT (0),
      "created_at" datetime NOT NULL,
      "updated_at" datetime NOT NULL
    )`);
    await q.query(`CREATE UNIQUE INDEX "ux_users_email" ON "users" ("email")`);
    await q.query(`CREATE INDEX "ix_users_created_at" ON "users" ("created_at")`);

    await q.query(`CREATE TABLE "api_keys" (
      "id" varchar(36) PRIMARY KEY NOT NULL,
      "user_id" varchar(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "name" varchar(100) NOT NULL,
      "prefix" varchar(16) NOT NULL,
      "key_hash" varchar(64) NOT NULL,
      "created_at" datetime NOT NULL,
      "expires_at" datetime,
      "last_used_at" datetime
    )`);
    await q.query(`CREATE UNIQUE INDEX "ux_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await q.query(
      `CREATE INDEX "ix_api_keys_user_created" ON "api_keys" ("user_id", "created_at")`,
    );

    await q.query(`CREATE TABLE "system_settings" (
      "key" varchar(64) PRIMARY KEY NOT NULL,
      "value" text NOT NULL,
      "updated_at" datetime NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "system_settings"`);
    await q.query(`DROP TABLE "api_keys"`);
    await q.query(`DROP TABLE "users"`);
  }
}
