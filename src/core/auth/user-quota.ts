/**
 * A user's limits (SPEC §13); a field left out or null is no limit. Tokens are input + output;
 * days and months are UTC calendar periods.
 */
export interface UserQuota {
  tokens_per_day?: number | null;
  tokens_per_month?: number | null;
  cost_per_month_usd?: number | null;
}
