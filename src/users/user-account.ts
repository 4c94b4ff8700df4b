import type { Role } from '../core/auth/role';
import type { UserQuota } from '../core/auth/user-quota';

/** What signing a user in needs to know of them; other modules get this, never the entity. */
export interface UserAccount {
  id: string;
  email: string;
  role: Role;
  disabled: boolean;
  /** Carried in every JWT: one issued under another version is revoked. */
  tokenVersion: number;
  /** Null: the config's `default_user_quota` applies. */
  quota: UserQuota | null;
}

/** The account with its password hash, for checking a login. */
export interface UserLogin extends UserAccount {
  passwordHash: string;
}
