import { MigrationInterface, QueryRunner } from 'typeorm';

/** What the retention sweep filters on: events and attempts by age, deliveries by event. */
const INDEXES: [name: string, table: string, columns: string][] = [
  ['ix_webhook_events_created', 'webhook_events', '"created_at"'],
  ['ix_webhook_deliveries_event', 'webhook_deliveries', '"event_id", "status"'],
  ['ix_webhook_attempts_created', 'webhook_attempts', '"created_at"'],
];

export class WebhookRetention1764230000000 implements MigrationInterface {
  name = 'WebhookRetention1764230000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [name, table, columns] of INDEXES)
      await q.query(`CREATE INDEX "${name}" ON "${table}" (${columns})`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [name] of INDEXES) await q.query(`DROP INDEX "${name}"`);
  }
}
