import { DataSource } from 'typeorm';

import { dataSourceOptions } from './src/core/database/data-source-options';
import { loadEnv } from './src/core/env/env';
import { ENTITIES } from './src/entities';

/** The DataSource the TypeORM CLI uses: `npm run migration:run`. */
export default new DataSource({
  ...dataSourceOptions(loadEnv()),
  entities: ENTITIES,
  migrationsRun: false,
});
