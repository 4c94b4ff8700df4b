import type { Role } from './role';
import type { UserQuota } from './user-quota';

/** Who is calling: resolved once per request by the global guard. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  via: 'jwt' | 'api_key';
  apiKeyId?: string;
  /** The API key's own request limit per minute, when it has one (a second bucket, SPEC §11). */
  keyRateLimitPerMinute?: number | null;
  /** The user's own quota; null: the config's `default_user_quota` applies. */
  quota?: UserQuota | null;
  /** The only models the API key may use; null: any model. */
  keyModels?: string[] | null;
  /** The API key's own daily token limit, when it has one. */
  keyTokensPerDay?: number | null;
  /** CredentialCache's mark when this was read: see `CredentialCache.isCurrent`. */
  cacheMark?: number;
}
