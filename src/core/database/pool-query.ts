import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * A PostgreSQL statement sent straight to TypeORM's connection pool (outside any transaction),
 * prepared once per connection under `name`. Only for statements on a hot path: TypeORM's query
 * runner and query builder cost more CPU than a small statement itself (bench/results/2026-12-05-*.md).
 */
export async function poolQuery<T>(
  db: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const res = await (db.driver as PostgresDriver).master.query({ name, text, values });
  return res.rows as T[];
}

/** `poolQuery` for a statement that returns no rows: how many rows it changed. */
export async function poolCommand(
  db: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<number> {
  const res = await (db.driver as PostgresDriver).master.query({ name, text, values });
  return res.rowCount ?? 0;
}

/**
 * A date column read by hand-written SQL on SQLite, hydrated as TypeORM does: its stored text
 * (`YYYY-MM-DD HH:MM:SS.SSS`) is UTC.
 */
export function sqliteDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  let text = /^\d{4}-\d\d-\d\d \d\d:\d\d/.test(value) ? value.replace(' ', 'T') : value;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += 'Z';
  return new Date(text);
}

/** A date as TypeORM writes it to SQLite (UTC, `YYYY-MM-DD HH:MM:SS.SSS`), for hand-written SQL. */
export function sqliteDateText(value: Date): string {
  return value.toISOString().replace('T', ' ').replace('Z', '');
}
