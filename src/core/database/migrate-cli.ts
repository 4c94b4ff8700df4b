import 'reflect-metadata';

import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { EnvValidationError, loadEnv } from '../env/env';
import { dataSourceOptions } from './data-source-options';
import { migrationWait, runMigrationsLocked } from './migrate';

/**
 * `node dist/src/core/database/migrate-cli.js`: applies pending migrations once and exits, holding the same
 * lock as the server's own start-up (the Kubernetes init containers and `npm run migration:run:prod` use it).
 */
async function main(): Promise<void> {
  const logger = new Logger('Migrations');
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvValidationError) {
      for (const p of err.problems) process.stderr.write(`Configuration error: ${p}\n`);
      process.exit(1);
    }
    throw err;
  }
  const ds = await new DataSource(dataSourceOptions(env)).initialize();
  try {
    const applied = await runMigrationsLocked(ds, migrationWait);
    logger.log(
      `Applied ${applied.length} migration(s)${applied.length ? `: ${applied.map((m) => m.name).join(', ')}` : ''}`,
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`Migrations failed: ${err.message}\n`);
  process.exit(1);
});
