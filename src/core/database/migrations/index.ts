import { Init1764080000000 as PostgresInit } from './postgres/1764080000000-Init';
import { Chat1764090000000 as PostgresChat } from './postgres/1764090000000-Chat';
import { Skills1764100000000 as PostgresSkills } from './postgres/1764100000000-Skills';
import { Webhooks1764110000000 as PostgresWebhooks } from './postgres/1764110000000-Webhooks';
import { SessionMessageCount1764120700000 as PostgresSessionMessageCount } from './postgres/1764120700000-SessionMessageCount';
import { ListOrderIndexes1764120710000 as PostgresListOrderIndexes } from './postgres/1764120710000-ListOrderIndexes';
import { TokenVersionKeyLimits1764220000000 as PostgresTokenVersionKeyLimits } from './postgres/1764220000000-TokenVersionKeyLimits';
import { WebhookRetention1764230000000 as PostgresWebhookRetention } from './postgres/1764230000000-WebhookRetention';
import { Usage1764240000000 as PostgresUsage } from './postgres/1764240000000-Usage';
import { QuotaAlerts1764245000000 as PostgresQuotaAlerts } from './postgres/1764245000000-QuotaAlerts';
import { KeyTokensPerDayBigint1764250000000 as PostgresKeyTokensPerDayBigint } from './postgres/1764250000000-KeyTokensPerDayBigint';
import { Init1764080000000 as SqliteInit } from './sqlite/1764080000000-Init';
import { Chat1764090000000 as SqliteChat } from './sqlite/1764090000000-Chat';
import { Skills1764100000000 as SqliteSkills } from './sqlite/1764100000000-Skills';
import { Webhooks1764110000000 as SqliteWebhooks } from './sqlite/1764110000000-Webhooks';
import { SessionMessageCount1764120700000 as SqliteSessionMessageCount } from './sqlite/1764120700000-SessionMessageCount';
import { ListOrderIndexes1764120710000 as SqliteListOrderIndexes } from './sqlite/1764120710000-ListOrderIndexes';
import { TokenVersionKeyLimits1764220000000 as SqliteTokenVersionKeyLimits } from './sqlite/1764220000000-TokenVersionKeyLimits';
import { WebhookRetention1764230000000 as SqliteWebhookRetention } from './sqlite/1764230000000-WebhookRetention';
import { Usage1764240000000 as SqliteUsage } from './sqlite/1764240000000-Usage';
import { QuotaAlerts1764245000000 as SqliteQuotaAlerts } from './sqlite/1764245000000-QuotaAlerts';

/** One ordered list per dialect; a landed migration is never edited, only followed by a new one. */
export const POSTGRES_MIGRATIONS = [
  PostgresInit,
  PostgresChat,
  PostgresSkills,
  PostgresWebhooks,
  PostgresSessionMessageCount,
  PostgresListOrderIndexes,
  PostgresWebhookRetention,
  PostgresTokenVersionKeyLimits,
  PostgresUsage,
  PostgresQuotaAlerts,
  PostgresKeyTokensPerDayBigint,
];
export const SQLITE_MIGRATIONS = [
  SqliteInit,
  SqliteChat,
  SqliteSkills,
  SqliteWebhooks,
  SqliteSessionMessageCount,
  SqliteListOrderIndexes,
  SqliteWebhookRetention,
  SqliteTokenVersionKeyLimits,
  SqliteUsage,
  SqliteQuotaAlerts,
];
