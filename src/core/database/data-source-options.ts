import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import type { DataSourceOptions } from 'typeorm';

import type { Env } from '../env/env';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from './migrations';

/**
 * The one place that turns DATABASE_URL into TypeORM options, for the app and the CLI alike. No
 * entities: the app's modules register theirs (autoLoadEntities); migrations need none.
 */
export function dataSourceOptions(env: Env): DataSourceOptions {
  const common = {
    synchronize: false,
    // The app runs migrations itself, under a lock (runMigrationsLocked), when DB_MIGRATE is on.
    migrationsRun: false,
    migrationsTableName: 'typeorm_migrations',
    // Failed queries are logged by the error filter; TypeORM's own log would print parameters.
    logging: false,
  };
  if (env.database.type === 'postgres') {
    return {
      type: 'postgres',
      url: env.database.url,
      migrations: POSTGRES_MIGRATIONS,
      connectTimeoutMS: 5000,
      // Node runs queries from one thread: a few connections per core keep PostgreSQL busy.
      extra: { max: env.DB_POOL_SIZE },
      ...common,
    };
  }
  if (env.database.path !== ':memory:') mkdirSync(dirname(env.database.path), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: env.database.path,
    migrations: SQLITE_MIGRATIONS,
    enableWAL: true,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('busy_timeout = 5000');
    },
    ...common,
  };
}
