import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sessions.message_count` answers a message list's `total` from the session row, so listing a
 * long session does not count its messages on every request.
 */
export class SessionMessageCount1764120700000 implements MigrationInterface {
  name = 'SessionMessageCount1764120700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" ADD COLUMN "message_count" integer NOT NULL DEFAULT 0`);
    await q.query(`UPDATE "sessions" s SET "message_count" = c."n"
      FROM (SELECT "session_id", COUNT(*)::integer AS "n" FROM "messages" GROUP BY "session_id") c
      WHERE c."session_id" = s."id"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "message_count"`);
  }
}
