import type { Role } from '../../users/entities/user.entity';

/** Who is calling: resolved once per request by the global guard. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  via: 'jwt' | 'api_key';
  apiKeyId?: string;
}
