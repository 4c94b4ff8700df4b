import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's `tokens_per_day` goes up to 10^15, as a user's quota does (SPEC §13); `integer` stopped at
 * 2^31 − 1 and a larger value was a 500. SQLite's integer holds 64 bits already.
 */
export class KeyTokensPerDayBigint1764250000000 implements MigrationInterface {
  name = 'KeyTokensPerDayBigint1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_keys" ALTER COLUMN "tokens_per_day" TYPE bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_keys" ALTER COLUMN "tokens_per_day" TYPE integer`);
  }
}
