import { randomUUID } from 'node:crypto';

import { DataSource, type MigrationInterface } from 'typeorm';

import { dataSourceOptions } from '../../src/core/database/data-source-options';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../src/core/database/migrations';
import { dbQuery } from '../support/http';
import { resetDatabase } from '../support/test-app';
import { testEnv } from '../support/test-env';

type MigrationClass = new () => MigrationInterface;

describe('migrations on existing data', () => {
  const env = testEnv();
  const all: MigrationClass[] =
    env.database.type === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;

  /** A data source that knows the migrations up to and including `last`. */
  async function open(last: string, included: boolean): Promise<DataSource> {
    const at = all.findIndex((m) => m.name === last);
    expect(at).toBeGreaterThan(0);
    const ds = new DataSource({
      ...dataSourceOptions(env),
      migrationsRun: false,
      migrations: all.slice(0, included ? at + 1 : at),
    });
    await ds.initialize();
    await ds.runMigrations();
    return ds;
  }

  /** SQL with $1… placeholders, each used once, on both dialects. */
  async function messageCounts(ds: DataSource): Promise<Record<string, number>> {
    const rows = (await dbQuery(ds, 'SELECT id, message_count FROM sessions')) as {
      id: string;
      message_count: number | string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.id, Number(r.message_count)]));
  }

  beforeAll(() => resetDatabase(env));

  it('SessionMessageCount counts the messages of existing sessions, and its down() drops the column', async () => {
    const migration = 'SessionMessageCount1764120700000';
    const now = new Date().toISOString();
    const userId = randomUUID();
    const sessions = { empty: randomUUID(), three: randomUUID(), five: randomUUID() };
    const sizes = { empty: 0, three: 3, five: 5 };

    const old = await open(migration, false);
    try {
      await dbQuery(
        old,
        `INSERT INTO users (id, email, password_hash, role, created_at, updated_at)
         VALUES ($1, $2, 'x', 'user', $3, $4)`,
        [userId, `${userId}@example.test`, now, now],
      );
      for (const [name, id] of Object.entries(sessions)) {
        const size = sizes[name as keyof typeof sizes];
        await dbQuery(
          old,
          `INSERT INTO sessions (id, user_id, name, last_seq, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, userId, name, size + 1, now, now],
        );
        // A gap in the sequence, as a deleted message leaves one.
        for (let seq = 2; seq <= size + 1; seq++)
          await dbQuery(
            old,
            `INSERT INTO messages (id, session_id, seq, role, content, status, created_at)
             VALUES ($1, $2, $3, 'user', 'hi', 'complete', $4)`,
            [randomUUID(), id, seq, now],
          );
      }
    } finally {
      await old.destroy();
    }

    const migrated = await open(migration, true);
    try {
      const expected = {
        [sessions.empty]: 0,
        [sessions.three]: 3,
        [sessions.five]: 5,
      };
      expect(await messageCounts(migrated)).toEqual(expected);

      await migrated.undoLastMigration();
      await expect(messageCounts(migrated)).rejects.toThrow(/message_count/);

      await migrated.runMigrations();
      expect(await messageCounts(migrated)).toEqual(expected);
    } finally {
      await migrated.destroy();
    }
  });

  it('every migration can be undone and run again, newest first', async () => {
    await resetDatabase(env);
    const ds = await open(all[all.length - 1].name, true);
    try {
      for (let i = 0; i < all.length; i++) await ds.undoLastMigration();
      expect(await ds.showMigrations()).toBe(true);
      expect(await ds.runMigrations()).toHaveLength(all.length);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});
