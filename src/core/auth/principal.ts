import type { Role } from './role';

/** Who is calling: resolved once per request by the global guard. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  via: 'jwt' | 'api_key';
  apiKeyId?: string;
  /** The API key's own request limit per minute, when it has one (a second bucket, SPEC §11). */
  keyRateLimitPerMinute?: number | null;
}
