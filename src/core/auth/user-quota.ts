/**
 * A user's limits (SPEC §13); a field left out or null is no limit. Tokens are input + output;
 * days and months are UTC calendar periods.
 */
export interface UserQuota {
  tokens_per_day?: number | null;
  tokens_per_month?: number | null;
  cost_per_month_usd?: number | null;
}

/**
 * Told when limits change, before the change is answered: a user's own quota (after every replica
 * has dropped the user's cached credentials) or the config's default quota. Provided by usage/.
 */
export interface QuotaLimitChanges {
  user(userId: string): Promise<void>;
  allUsers(): Promise<void>;
}

export const QUOTA_LIMIT_CHANGES = Symbol('QUOTA_LIMIT_CHANGES');
