import { Logger, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { SystemSettingEntity } from '../core/database/entities/system-setting.entity';
import { EnvService } from '../core/env/env.service';
import { randomSecret } from '../core/security/password';

export const JWT_SECRET = Symbol('JWT_SECRET');
const SETTING_KEY = 'jwt_secret';

/**
 * JWT_SECRET from the environment, else one generated once and kept in the database,
 * so every replica and every restart signs and verifies with the same secret.
 */
export const jwtSecretProvider: Provider = {
  provide: JWT_SECRET,
  inject: [EnvService, DataSource],
  useFactory: async (env: EnvService, dataSource: DataSource): Promise<string> => {
    const configured = env.get('JWT_SECRET');
    if (configured) return configured;
    const repo = dataSource.getRepository(SystemSettingEntity);
    const existing = await repo.findOneBy({ key: SETTING_KEY });
    if (existing) return existing.value;
    await repo
      .createQueryBuilder()
      .insert()
      .values({ key: SETTING_KEY, value: randomSecret(48), updatedAt: new Date() })
      .orIgnore()
      .execute();
    new Logger('Auth').log('Generated a JWT secret and stored it in the database');
    // Re-read: a replica starting at the same moment may have won the insert.
    return (await repo.findOneByOrFail({ key: SETTING_KEY })).value;
  },
};
