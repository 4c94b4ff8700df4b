import type { Principal } from '../core/auth/principal';
import type { UserQuota } from '../core/auth/user-quota';
import { Period, periodOf } from './quota-periods';

export type LimitName = 'tokens_per_day' | 'tokens_per_month' | 'cost_per_month_usd';

/** Whose usage a counter adds up: a user's (all their keys and JWTs) or one API key's. */
export type Subject = { userId: string } | { apiKeyId: string };

// Cost is counted in integer nano-dollars: exact under INCRBY on every replica, and fine enough
// that a cheap model's few-token call (well under a micro-dollar) still counts.
export const NANOS_PER_USD = 1e9;

/** One running total in Redis: a subject's tokens or cost in one UTC period. */
export interface Counter {
  subject: Subject;
  metric: 'tokens' | 'cost';
  period: Period;
  /** Its Redis key (under the client's `openclaw:` prefix). */
  key: string;
}

/** A limit that applies to a call, on one of its counters. */
export interface Limit {
  name: LimitName;
  counter: Counter;
  /** In the counter's units: tokens or nano-dollars. */
  max: number;
  /** As the user set it: tokens or USD. */
  shown: number;
}

export function subjectId(subject: Subject): string {
  return 'userId' in subject ? `user:${subject.userId}` : `key:${subject.apiKeyId}`;
}

function counter(subject: Subject, metric: Counter['metric'], period: Period): Counter {
  const p = period.kind === 'day' ? 'd' : 'm';
  return {
    subject,
    metric,
    period,
    key: `quota:${subjectId(subject)}:${metric}:${p}:${period.id}`,
  };
}

/** Every counter a call made at `at` adds to, whether or not a limit watches it now. */
export function countersOf(principal: Pick<Principal, 'userId' | 'apiKeyId'>, at: Date): Counter[] {
  const day = periodOf('day', at);
  const month = periodOf('month', at);
  const user = { userId: principal.userId };
  const counters = [
    counter(user, 'tokens', day),
    counter(user, 'tokens', month),
    counter(user, 'cost', month),
  ];
  if (principal.apiKeyId) counters.push(counter({ apiKeyId: principal.apiKeyId }, 'tokens', day));
  return counters;
}

/** A limit the caller's quota or key sets, and where its counter is in `countersOf`'s list. */
interface SetLimit {
  name: LimitName;
  counterIndex: number;
  shown: number;
  scale: number;
}

/** The user's quota (the config's default when the user has none) and the key's `tokens_per_day`. */
function setLimits(principal: Principal, defaultQuota: UserQuota | null): SetLimit[] {
  const quota = principal.quota ?? defaultQuota ?? {};
  const set: SetLimit[] = [];
  const add = (
    name: LimitName,
    counterIndex: number,
    shown: number | null | undefined,
    scale = 1,
  ) => {
    if (typeof shown === 'number') set.push({ name, counterIndex, shown, scale });
  };
  add('tokens_per_day', 0, quota.tokens_per_day);
  add('tokens_per_month', 1, quota.tokens_per_month);
  add('cost_per_month_usd', 2, quota.cost_per_month_usd, NANOS_PER_USD);
  if (principal.apiKeyId) add('tokens_per_day', 3, principal.keyTokensPerDay);
  return set;
}

/**
 * Whether any limit applies to the principal's calls. Checked first, so that a caller no limit
 * watches (most of them) costs no counters and no key strings per call.
 */
export function isWatched(principal: Principal, defaultQuota: UserQuota | null): boolean {
  return setLimits(principal, defaultQuota).length > 0;
}

/** The limits on a call, each on its counter from `countersOf`. */
export function limitsOf(
  principal: Principal,
  defaultQuota: UserQuota | null,
  counters: Counter[],
): Limit[] {
  return setLimits(principal, defaultQuota).map(({ name, counterIndex, shown, scale }) => ({
    name,
    counter: counters[counterIndex],
    max: Math.round(shown * scale),
    shown,
  }));
}

/** A counter's value as a caller is told it: tokens, or USD. */
export function shownUsed(limit: Limit, used: number): number {
  return limit.counter.metric === 'cost' ? used / NANOS_PER_USD : used;
}
