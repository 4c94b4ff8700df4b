import type { UsageRow } from '../api/types';

/** The last `days` days as the API's `from`/`to` dates (UTC). */
export function lastDays(days: number): { from: string; to: string } {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function usageCsv(
  rows: UsageRow[],
  groupBy: string,
  keyLabel: (key: string | null) => string,
): string {
  const head = [
    groupBy,
    'requests',
    'input_tokens',
    'output_tokens',
    'cost_usd',
    'unpriced_requests',
  ];
  const lines = rows.map((r) =>
    [
      keyLabel(r.key),
      r.requests,
      r.input_tokens,
      r.output_tokens,
      r.cost_usd,
      r.unpriced_requests ?? 0,
    ]
      .map(csvCell)
      .join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}
