import { ApiKeyEntity } from '../../auth/entities/api-key.entity';
import { UserEntity } from '../../users/entities/user.entity';
import { SystemSettingEntity } from './entities/system-setting.entity';

export const ENTITIES = [UserEntity, ApiKeyEntity, SystemSettingEntity];
