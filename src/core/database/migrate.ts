import { Logger } from '@nestjs/common';
import type { DataSource, Migration } from 'typeorm';

/**
 * The advisory lock key of schema migrations (the bytes of "openclaw" as a bigint): every process that migrates
 * one PostgreSQL database takes it, so two pods or Jobs starting at once never run migrations together.
 */
export const MIGRATION_LOCK_KEY = '8030029660390449527';

/**
 * Runs the pending migrations. On PostgreSQL it holds a session advisory lock meanwhile: a second
 * migrator waits for the first, then finds nothing left to do. SQLite serialises writers itself.
 */
export async function runMigrationsLocked(
  ds: DataSource,
  onWait?: () => void,
): Promise<Migration[]> {
  if (ds.options.type !== 'postgres') return ds.runMigrations();
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [got] = (await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      MIGRATION_LOCK_KEY,
    ])) as { locked: boolean }[];
    if (!got.locked) {
      onWait?.();
      await runner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
    try {
      return await ds.runMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** Says why start-up pauses while another process migrates. */
export function migrationWait(): void {
  new Logger('Migrations').log('Another process is running migrations; waiting for it to finish');
}
