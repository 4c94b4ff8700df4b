import type { Quota } from '../api/types';
import { optionalInt, optionalNumber } from './ui';

export interface QuotaDraft {
  tokensPerDay: string;
  tokensPerMonth: string;
  costPerMonth: string;
}

export const quotaDraft = (q: Quota | null | undefined): QuotaDraft => ({
  tokensPerDay: q?.tokens_per_day?.toString() ?? '',
  tokensPerMonth: q?.tokens_per_month?.toString() ?? '',
  costPerMonth: q?.cost_per_month_usd?.toString() ?? '',
});

/** The quota to send: null when every field is empty (no quota of its own), or the problem. */
export function quotaOf(d: QuotaDraft): { quota: Quota | null } | { problem: string } {
  const day = optionalInt(d.tokensPerDay);
  const month = optionalInt(d.tokensPerMonth);
  const cost = optionalNumber(d.costPerMonth);
  if (Number.isNaN(day) || Number.isNaN(month))
    return { problem: 'Token limits are whole numbers, or empty for no limit.' };
  if (Number.isNaN(cost))
    return { problem: 'The cost limit is a number of dollars, or empty for no limit.' };
  if (day === null && month === null && cost === null) return { quota: null };
  return { quota: { tokens_per_day: day, tokens_per_month: month, cost_per_month_usd: cost } };
}

export function describeQuota(q: Quota | null | undefined, none = 'none of its own'): string {
  if (!q) return none;
  const parts = [];
  if (q.tokens_per_day != null) parts.push(`${q.tokens_per_day.toLocaleString()} tokens/day`);
  if (q.tokens_per_month != null) parts.push(`${q.tokens_per_month.toLocaleString()} tokens/month`);
  if (q.cost_per_month_usd != null) parts.push(`$${q.cost_per_month_usd}/month`);
  return parts.length > 0 ? parts.join(', ') : 'no limit';
}

/** Three inputs: tokens per day, tokens per month, dollars per month; empty is no limit. */
export function QuotaFields({
  legend,
  value,
  onChange,
  problem,
  idPrefix,
}: {
  legend: string;
  value: QuotaDraft;
  onChange: (d: QuotaDraft) => void;
  problem?: string | null;
  idPrefix: string;
}) {
  const invalid = problem
    ? { 'aria-invalid': true, 'aria-describedby': `${idPrefix}-quota-problem` }
    : {};
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div className="grid">
        <label>
          Tokens per day
          <input
            inputMode="numeric"
            value={value.tokensPerDay}
            onChange={(e) => onChange({ ...value, tokensPerDay: e.target.value })}
            {...invalid}
          />
        </label>
        <label>
          Tokens per month
          <input
            inputMode="numeric"
            value={value.tokensPerMonth}
            onChange={(e) => onChange({ ...value, tokensPerMonth: e.target.value })}
            {...invalid}
          />
        </label>
        <label>
          Cost per month (USD)
          <input
            inputMode="decimal"
            value={value.costPerMonth}
            onChange={(e) => onChange({ ...value, costPerMonth: e.target.value })}
            {...invalid}
          />
        </label>
      </div>
      {problem && (
        <small id={`${idPrefix}-quota-problem`} className="field-error">
          {problem}
        </small>
      )}
    </fieldset>
  );
}
