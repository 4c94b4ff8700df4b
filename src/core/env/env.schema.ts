import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidationArguments,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

/** One message for every way a number can be wrong, naming the range (`PORT=abc` is not "too large"). */
function WholeNumber(min: number, max?: number): PropertyDecorator {
  const message = ({ property }: ValidationArguments) =>
    max === undefined
      ? `${property} must be a whole number of at least ${min}`
      : `${property} must be a whole number between ${min} and ${max}`;
  return (target, key) => {
    IsInt({ message })(target, key);
    Min(min, { message })(target, key);
    if (max !== undefined) Max(max, { message })(target, key);
  };
}

/** Every environment variable the server reads, with its default. */
export class EnvSchema {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV = 'development';

  @IsIn(['api', 'worker', 'all'])
  ROLE = 'all';

  @Type(() => Number)
  @WholeNumber(1, 65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<file> or postgres://user:pass@host:port/db',
  })
  DATABASE_URL = 'sqlite:./data/openclaw.db';

  @Transform(toBoolean)
  @IsIn([true, false], { message: 'DB_MIGRATE must be true or false' })
  DB_MIGRATE: boolean = true;

  @Type(() => Number)
  @WholeNumber(1, 200)
  DB_POOL_SIZE = 10;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be redis://host:port[/db]' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** The longest a request waits on one Redis command before going on without it. */
  @Type(() => Number)
  @WholeNumber(100)
  REDIS_COMMAND_TIMEOUT_MS = 1000;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  @Matches(/^\d+[smhd]?$/, {
    message: 'JWT_EXPIRES_IN must be seconds or a number with s, m, h or d (e.g. 1h)',
  })
  JWT_EXPIRES_IN = '1h';

  @IsOptional()
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an e-mail address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters long' })
  @MaxLength(128, { message: 'ADMIN_PASSWORD must be at most 128 characters long' })
  ADMIN_PASSWORD?: string;

  @IsString()
  DATA_DIR = './data';

  @Matches(/^\d+(b|kb|mb)?$/i, {
    message: 'BODY_LIMIT must be bytes or a size such as 512kb or 1mb',
  })
  BODY_LIMIT = '1mb';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'verbose'])
  LOG_LEVEL = 'info';

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @Type(() => Number)
  @WholeNumber(1)
  RATE_LIMIT_LOGIN_PER_MINUTE = 10;

  /** Express's trust-proxy setting: a hop count or a comma list of addresses/CIDRs; off when unset. */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @Type(() => Number)
  @WholeNumber(1)
  MAX_API_KEYS_PER_USER = 50;

  @IsOptional()
  @IsString()
  DEEPSEEK_API_KEY?: string;

  @Matches(/^https?:\/\/.+/, { message: 'DEEPSEEK_BASE_URL must be an http(s) URL' })
  DEEPSEEK_BASE_URL = 'https://api.deepseek.com';

  @IsOptional()
  @IsString()
  OPENAI_API_KEY?: string;

  @Matches(/^https?:\/\/.+/, { message: 'OPENAI_BASE_URL must be an http(s) URL' })
  OPENAI_BASE_URL = 'https://api.openai.com/v1';

  @IsOptional()
  @IsString()
  PROVIDERS_FILE?: string;

  /** JSON or YAML: model id → {input_price, output_price} in USD per million tokens. */
  @IsOptional()
  @IsString()
  PRICES_FILE?: string;

  @Transform(toBoolean)
  @IsIn([true, false], { message: 'ECHO_MODEL must be true or false' })
  ECHO_MODEL: boolean = true;

  @Type(() => Number)
  @WholeNumber(100)
  UPSTREAM_TIMEOUT_MS = 60000;

  @Type(() => Number)
  @WholeNumber(0, 5)
  UPSTREAM_MAX_RETRIES = 2;

  @Type(() => Number)
  @WholeNumber(0)
  CHAT_HISTORY_MAX_CHARS = 48000;

  @Type(() => Number)
  @WholeNumber(100)
  SSE_PING_INTERVAL_MS = 15000;

  @Type(() => Number)
  @WholeNumber(100)
  SKILL_TIMEOUT_MS = 30000;

  @Type(() => Number)
  @WholeNumber(100)
  SKILL_MAX_TIMEOUT_MS = 600000;

  @Type(() => Number)
  @WholeNumber(1)
  SKILL_MAX_OUTPUT_BYTES = 65536;

  @Type(() => Number)
  @WholeNumber(1, 256)
  SKILL_CONCURRENCY = 4;

  @Type(() => Number)
  @WholeNumber(0)
  SKILL_RUN_WAIT_MS = 30000;

  @IsIn(['auto', 'none', 'bwrap'], { message: 'SKILL_SANDBOX must be one of auto, none, bwrap' })
  SKILL_SANDBOX = 'auto';

  @Type(() => Number)
  @WholeNumber(1)
  SKILL_MAX_MEMORY_MB = 512;

  @Type(() => Number)
  @WholeNumber(500)
  SKILL_STALLED_INTERVAL_MS = 30000;

  @Type(() => Number)
  @WholeNumber(0)
  SHUTDOWN_TIMEOUT_MS = 30000;

  @Type(() => Number)
  @WholeNumber(100)
  WEBHOOK_TIMEOUT_MS = 10000;

  @Matches(/^\s*\d+(ms|s|m|h|d)?\s*(,\s*\d+(ms|s|m|h|d)?\s*)*$/, {
    message: 'WEBHOOK_RETRY_SCHEDULE must be a comma-separated list of delays such as 5s,5m,30m,2h',
  })
  WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

  @Transform(toBoolean)
  @IsIn([true, false], { message: 'WEBHOOK_ALLOW_PRIVATE_URLS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_URLS: boolean = false;

  @Type(() => Number)
  @WholeNumber(100)
  WEBHOOK_RECONCILE_INTERVAL_MS = 15000;

  @Type(() => Number)
  @WholeNumber(100)
  SKILL_RECONCILE_INTERVAL_MS = 15000;

  @Type(() => Number)
  @WholeNumber(1)
  WEBHOOK_CONCURRENCY = 10;

  @Type(() => Number)
  @WholeNumber(1)
  MAX_WEBHOOKS_PER_USER = 20;

  @Type(() => Number)
  @WholeNumber(1)
  WEBHOOK_EVENT_RETENTION_DAYS = 30;

  /** Keys that encrypt webhook secrets at rest, newest first; checked in env.ts. */
  @IsOptional()
  @IsString()
  SECRETS_KEY?: string;

  @Type(() => Number)
  @WholeNumber(1)
  RATE_LIMIT_PER_MINUTE = 600;

  @Type(() => Number)
  @WholeNumber(1)
  RATE_LIMIT_CHAT_PER_MINUTE = 60;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long' })
  METRICS_TOKEN?: string;
}

export const ENV_KEYS = Object.keys(new EnvSchema()).concat([
  'JWT_SECRET',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'CORS_ORIGINS',
  'DEEPSEEK_API_KEY',
  'OPENAI_API_KEY',
  'PROVIDERS_FILE',
  'PRICES_FILE',
  'METRICS_TOKEN',
  'SECRETS_KEY',
  'TRUST_PROXY',
]);
