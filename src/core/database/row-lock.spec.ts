import type { EntityManager } from 'typeorm';

import { writeLock } from './row-lock';

function managerOf(type: string): EntityManager {
  return { connection: { options: { type } } } as unknown as EntityManager;
}

describe(writeLock.name, () => {
  it('locks the row for update on PostgreSQL', () => {
    expect(writeLock(managerOf('postgres'))).toEqual({ lock: { mode: 'pessimistic_write' } });
  });

  it('asks for no lock on SQLite, whose driver refuses one (it runs one writer at a time)', () => {
    expect(writeLock(managerOf('better-sqlite3'))).toEqual({});
  });
});
