import type { EntityManager, FindOneOptions } from 'typeorm';

/**
 * The lock option of a read whose row is about to be changed: PostgreSQL locks the row until the
 * transaction ends; SQLite has no row locks (and needs none: it runs one writer at a time).
 */
export function writeLock(tx: EntityManager): Pick<FindOneOptions, 'lock'> {
  return tx.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' } } : {};
}
