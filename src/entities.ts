import { AppConfigEntity } from './app-config/entities/app-config.entity';
import { ApiKeyEntity } from './auth/entities/api-key.entity';
import { SystemSettingEntity } from './core/database/entities/system-setting.entity';
import { MessageEntity } from './sessions/entities/message.entity';
import { SessionEntity } from './sessions/entities/session.entity';
import { SkillEntity } from './skills/entities/skill.entity';
import { SkillRunEntity } from './skills/entities/skill-run.entity';
import { QuotaAlertEntity } from './usage/entities/quota-alert.entity';
import { UsageRecordEntity } from './usage/entities/usage-record.entity';
import { UserEntity } from './users/entities/user.entity';
import { WebhookEntity } from './webhooks/entities/webhook.entity';
import { WebhookAttemptEntity } from './webhooks/entities/webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhooks/entities/webhook-delivery.entity';
import { WebhookEventEntity } from './webhooks/entities/webhook-event.entity';

/**
 * Every entity, for DataSources built outside Nest (the TypeORM CLI). The app itself loads the
 * entities its modules register with TypeOrmModule.forFeature; a new entity goes in both places.
 */
export const ENTITIES = [
  UserEntity,
  ApiKeyEntity,
  SystemSettingEntity,
  AppConfigEntity,
  SessionEntity,
  MessageEntity,
  SkillEntity,
  SkillRunEntity,
  WebhookEntity,
  WebhookEventEntity,
  WebhookDeliveryEntity,
  WebhookAttemptEntity,
  UsageRecordEntity,
  QuotaAlertEntity,
];
