import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lists order by (created_at, id); each list's index now ends with `id` too, so a page is read
 * in index order with no sort of the rows that share a timestamp. The names stay the same.
 */
const INDEXES: [name: string, table: string, before: string[]][] = [
  ['ix_users_created_at', 'users', ['created_at']],
  ['ix_api_keys_user_created', 'api_keys', ['user_id', 'created_at']],
  ['ix_sessions_user_created', 'sessions', ['user_id', 'created_at']],
  ['ix_skills_created_at', 'skills', ['created_at']],
  ['ix_skill_runs_skill_created', 'skill_runs', ['skill_id', 'created_at']],
  ['ix_skill_runs_skill_user_created', 'skill_runs', ['skill_id', 'user_id', 'created_at']],
  ['ix_webhooks_user_created', 'webhooks', ['user_id', 'created_at']],
  ['ix_webhook_deliveries_webhook_created', 'webhook_deliveries', ['webhook_id', 'created_at']],
];

const columns = (names: string[]) => names.map((c) => `"${c}"`).join(', ');

export class ListOrderIndexes1764120710000 implements MigrationInterface {
  name = 'ListOrderIndexes1764120710000';

  async up(q: QueryRunner): Promise<void> {
    for (const [name, table, before] of INDEXES) {
      await q.query(`DROP INDEX "${name}"`);
      await q.query(`CREATE INDEX "${name}" ON "${table}" (${columns([...before, 'id'])})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name, table, before] of INDEXES) {
      await q.query(`DROP INDEX "${name}"`);
      await q.query(`CREATE INDEX "${name}" ON "${table}" (${columns(before)})`);
    }
  }
}
