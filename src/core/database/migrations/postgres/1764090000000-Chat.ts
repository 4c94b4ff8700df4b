import { MigrationInterface, QueryRunner } from 'typeorm';

export class Chat1764090000000 implements MigrationInterface {
  name = 'Chat1764090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "app_config" (
      "id" integer PRIMARY KEY NOT NULL,
      "model" varchar(100),
      "temperature" double precision,
      "max_tokens" integer,
      "system_prompt" text,
      "updated_at" timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE "sessions" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "name" varchar(200) NOT NULL,
      "model" varchar(100),
      "last_seq" integer NOT NULL DEFAULT 0,
      "created_at" timestamptz NOT NULL,
      "updated_at" timestamptz NOT NULL
    )`);
    await q.query(
      `CREATE INDEX "ix_sessions_user_created" ON "sessions" ("user_id", "created_at")`,
    );

    await q.query(`CREATE TABLE "messages" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "session_id" uuid NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE,
      "seq" integer NOT NULL,
      "role" varchar(16) NOT NULL,
      "content" text NOT NULL,
      "model" varchar(100),
      "tokens" integer NOT NULL DEFAULT 0,
      "status" varchar(16) NOT NULL,
      "created_at" timestamptz NOT NULL
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "ux_messages_session_seq" ON "messages" ("session_id", "seq")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messages"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP TABLE "app_config"`);
  }
}
