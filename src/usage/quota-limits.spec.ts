import type { Principal } from '../core/auth/principal';
import { countersOf, isWatched, limitsOf, NANOS_PER_USD, shownUsed } from './quota-limits';
import { periodOf } from './quota-periods';

const user: Principal = { userId: 'u1', email: 'u1@example.test', role: 'user', via: 'jwt' };
const viaKey: Principal = { ...user, via: 'api_key', apiKeyId: 'k1', keyTokensPerDay: 500 };

describe('quota periods and limits', () => {
  it('days and months are UTC calendar periods, each ending where the next starts', () => {
    const at = new Date('2026-12-31T23:59:59.999Z');
    const day = periodOf('day', at);
    const month = periodOf('month', at);
    expect(day).toEqual({
      kind: 'day',
      id: '2026-12-31',
      start: new Date('2026-12-31T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(month).toEqual({
      kind: 'month',
      id: '2026-12',
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(periodOf('day', new Date('2027-01-01T00:00:00Z')).id).toBe('2027-01-01');
    expect(periodOf('month', new Date('2028-02-29T12:00:00Z')).end).toEqual(
      new Date('2028-03-01T00:00:00Z'),
    );
  });

  it('a call counts for its user (day, month, cost) and for its key (day)', () => {
    const at = new Date('2026-12-04T10:00:00Z');
    expect(countersOf(user, at).map((c) => c.key)).toEqual([
      'quota:user:u1:tokens:d:2026-12-04',
      'quota:user:u1:tokens:m:2026-12',
      'quota:user:u1:cost:m:2026-12',
    ]);
    expect(countersOf(viaKey, at).map((c) => c.key)[3]).toBe('quota:key:k1:tokens:d:2026-12-04');
  });

  it("a caller's counters follow the clock into the next day and month, and back", () => {
    const caller: Principal = { ...viaKey, userId: 'u2', apiKeyId: 'k2' };
    const keysAt = (iso: string) => countersOf(caller, new Date(iso)).map((c) => c.key);
    expect(keysAt('2026-12-05T00:00:00Z')).toEqual([
      'quota:user:u2:tokens:d:2026-12-05',
      'quota:user:u2:tokens:m:2026-12',
      'quota:user:u2:cost:m:2026-12',
      'quota:key:k2:tokens:d:2026-12-05',
    ]);
    expect(keysAt('2027-01-01T00:00:00Z')).toEqual([
      'quota:user:u2:tokens:d:2027-01-01',
      'quota:user:u2:tokens:m:2027-01',
      'quota:user:u2:cost:m:2027-01',
      'quota:key:k2:tokens:d:2027-01-01',
    ]);
    // A clock set back: that day's own keys again.
    expect(keysAt('2026-12-04T12:00:00Z')[0]).toBe('quota:user:u2:tokens:d:2026-12-04');
  });

  it("the user's own quota wins over the default; null fields are no limit", () => {
    const at = new Date('2026-12-04T10:00:00Z');
    const own = { ...user, quota: { tokens_per_day: 100, tokens_per_month: null } };
    const byDefault = limitsOf(user, { tokens_per_month: 9000 }, countersOf(user, at));
    expect(byDefault.map((l) => [l.name, l.max])).toEqual([['tokens_per_month', 9000]]);
    const mine = limitsOf(own, { tokens_per_month: 9000 }, countersOf(own, at));
    expect(mine.map((l) => [l.name, l.max])).toEqual([['tokens_per_day', 100]]);
    expect(limitsOf(user, null, countersOf(user, at))).toEqual([]);
  });

  it('a cost limit counts in nano-dollars and is shown in USD; a key adds its own daily limit', () => {
    const at = new Date('2026-12-04T10:00:00Z');
    const counters = countersOf(viaKey, at);
    const limits = limitsOf(viaKey, { cost_per_month_usd: 2.5 }, counters);
    expect(limits.map((l) => [l.name, l.counter.key, l.max])).toEqual([
      ['cost_per_month_usd', 'quota:user:u1:cost:m:2026-12', 2.5 * NANOS_PER_USD],
      ['tokens_per_day', 'quota:key:k1:tokens:d:2026-12-04', 500],
    ]);
    expect(shownUsed(limits[0], 1_250_000_000)).toBe(1.25);
    expect(shownUsed(limits[1], 42)).toBe(42);
  });

  it('a caller is watched exactly when some limit applies to its calls', () => {
    const at = new Date('2026-12-04T10:00:00Z');
    const quotas = [
      null,
      {},
      { tokens_per_day: null, tokens_per_month: null, cost_per_month_usd: null },
      { tokens_per_day: 0 },
      { tokens_per_month: 10 },
      { cost_per_month_usd: 0.5 },
    ];
    const principals: Principal[] = [
      user,
      viaKey,
      { ...viaKey, keyTokensPerDay: undefined },
      { ...user, keyTokensPerDay: 500 },
      ...quotas.map((quota) => ({ ...user, quota })),
    ];
    let watched = 0;
    for (const principal of principals)
      for (const byDefault of quotas) {
        const limits = limitsOf(principal, byDefault, countersOf(principal, at));
        expect(isWatched(principal, byDefault)).toBe(limits.length > 0);
        if (limits.length > 0) watched++;
      }
    expect(watched).toBeGreaterThan(0);
  });
});
