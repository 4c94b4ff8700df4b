import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.token_version` is carried in every JWT; bumping it revokes the JWTs issued before, even
 * in the same second. `api_keys.rate_limit_per_minute` is a key's own, lower request limit.
 */
export class TokenVersionKeyLimits1764220000000 implements MigrationInterface {
  name = 'TokenVersionKeyLimits1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD COLUMN "token_version" integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "api_keys" ADD COLUMN "rate_limit_per_minute" integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_keys" DROP COLUMN "rate_limit_per_minute"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "token_version"`);
  }
}
