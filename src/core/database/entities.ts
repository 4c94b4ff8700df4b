import { AppConfigEntity } from '../../app-config/entities/app-config.entity';
import { ApiKeyEntity } from '../../auth/entities/api-key.entity';
import { MessageEntity } from '../../sessions/entities/message.entity';
import { SessionEntity } from '../../sessions/entities/session.entity';
import { SkillEntity } from '../../skills/entities/skill.entity';
import { SkillRunEntity } from '../../skills/entities/skill-run.entity';
import { UserEntity } from '../../users/entities/user.entity';
import { SystemSettingEntity } from './entities/system-setting.entity';

export const ENTITIES = [
  UserEntity,
  ApiKeyEntity,
  SystemSettingEntity,
  AppConfigEntity,
  SessionEntity,
  MessageEntity,
  SkillEntity,
  SkillRunEntity,
];
