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

export function periodOf(kind: PeriodKind, at: Date): Period {
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
