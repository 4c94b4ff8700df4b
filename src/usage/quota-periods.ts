/** The UTC calendar periods quotas count in (SPEC §13). */
export type PeriodKind = 'day' | 'month';

export interface Period {
  kind: PeriodKind;
  /** `2026-12-04` or `2026-12`: part of a counter's key and of an alert's identity. */
  id: string;
  start: Date;
  /** When the next period starts: the `resets_at` a caller is told. */
  end: Date;
}

// The current day and month, built once per period: every call asks, and toISOString plus four
// Dates per call showed as 3 % of a /v1 call's CPU (bench/results/2026-12-06.md).
const current: Record<PeriodKind, Period | undefined> = { day: undefined, month: undefined };

/** The period `at` falls in. The same object for every call within it: treat it as read-only. */
export function periodOf(kind: PeriodKind, at: Date): Period {
  const last = current[kind];
  const t = at.getTime();
  if (last && t >= last.start.getTime() && t < last.end.getTime()) return last;
  const period = computePeriod(kind, at);
  current[kind] = period;
  return period;
}

function computePeriod(kind: PeriodKind, at: Date): Period {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  if (kind === 'day') {
    const d = at.getUTCDate();
    return {
      kind,
      id: at.toISOString().slice(0, 10),
      start: new Date(Date.UTC(y, m, d)),
      end: new Date(Date.UTC(y, m, d + 1)),
    };
  }
  return {
    kind,
    id: at.toISOString().slice(0, 7),
    start: new Date(Date.UTC(y, m, 1)),
    end: new Date(Date.UTC(y, m + 1, 1)),
  };
}
