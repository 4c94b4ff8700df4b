import type { DataSource, EntityManager } from 'typeorm';

const tails = new WeakMap<DataSource, Promise<unknown>>();

/**
 * `dataSource.transaction`, except that on SQLite transactions wait for each other: SQLite has
 * one connection, and two transactions begun on it at once would collide.
 */
export function inTransaction<T>(
  db: DataSource,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  if (db.options.type === 'postgres') return db.transaction(work);
  const previous = tails.get(db) ?? Promise.resolve();
  const run = previous.then(() => db.transaction(work));
  tails.set(
    db,
    run.catch(() => undefined),
  );
  return run;
}
