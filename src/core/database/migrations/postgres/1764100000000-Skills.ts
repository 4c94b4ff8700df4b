import { MigrationInterface, QueryRunner } from 'typeorm';

export class Skills1764100000000 implements MigrationInterface {
  name = 'Skills1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "skills" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "name" varchar(64) NOT NULL,
      "description" varchar(1000) NOT NULL DEFAULT '',
      "script" text NOT NULL,
      "timeout_ms" integer NOT NULL,
      "created_at" timestamptz NOT NULL,
      "updated_at" timestamptz NOT NULL
    )`);
    await q.query(`CREATE UNIQUE INDEX "ux_skills_name" ON "skills" ("name")`);
    await q.query(`CREATE INDEX "ix_skills_created_at" ON "skills" ("created_at")`);

    await q.query(`CREATE TABLE "skill_runs" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "skill_id" uuid NOT NULL REFERENCES "skills" ("id") ON DELETE CASCADE,
      "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
      "status" varchar(16) NOT NULL,
      "params" text NOT NULL,
      "exit_code" integer,
      "stdout" text NOT NULL DEFAULT '',
      "stderr" text NOT NULL DEFAULT '',
      "output_truncated" boolean NOT NULL DEFAULT false,
      "duration_ms" integer,
      "created_at" timestamptz NOT NULL,
      "started_at" timestamptz,
      "finished_at" timestamptz
    )`);
    await q.query(
      `CREATE INDEX "ix_skill_runs_skill_created" ON "skill_runs" ("skill_id", "created_at")`,
    );
    await q.query(
      `CREATE INDEX "ix_skill_runs_skill_user_created" ON "skill_runs" ("skill_id", "user_id", "created_at")`,
    );
    await q.query(`CREATE INDEX "ix_skill_runs_status" ON "skill_runs" ("status")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "skill_runs"`);
    await q.query(`DROP TABLE "skills"`);
  }
}
