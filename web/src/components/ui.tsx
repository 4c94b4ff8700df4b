import { type ReactNode, useState } from 'react';

import { ApiError } from '../api/client';

/** An API error in words, with its code; a 429 says when to try again. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  let text = `${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ''})`;
  if (error.status === 429) {
    const resetsAt = typeof error.details.resets_at === 'string' ? error.details.resets_at : null;
    if (error.retryAfterSeconds !== null) {
      text += ` Try again in ${formatSeconds(error.retryAfterSeconds)}.`;
    } else if (resetsAt) {
      text += ` Try again after ${formatDate(resetsAt)}.`;
    }
  }
  return text;
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.ceil(s / 60)} min`;
  return `${Math.ceil(s / 3600)} h`;
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fields : [];
  return (
    <div role="alert" className="error">
      <p>{describeError(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field + f.message}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p aria-busy="true" role="status">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toLocaleString();
}

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

export function formatCost(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

/** Previous/next through a list with the API's `limit/offset`. */
export function Pager({
  total,
  limit,
  offset,
  onChange,
  label,
}: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
  label: string;
}) {
  if (total <= limit && offset === 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <nav aria-label={`${label} pages`} className="pager">
      <button
        type="button"
        className="secondary"
        disabled={offset === 0}
        onClick={() => onChange(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <span>
        {total === 0 ? 0 : offset + 1}–{last} of {total}
      </span>
      <button
        type="button"
        className="secondary"
        disabled={last >= total}
        onClick={() => onChange(offset + limit)}
      >
        Next
      </button>
    </nav>
  );
}

/** A secret shown once, with a button that copies it. */
export function Secret({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <section className="secret" aria-label={label}>
      <p>
        <strong>{label}</strong> — shown only now: copy it and keep it safe.
      </p>
      <div className="secret-row">
        <code data-testid="secret-value">{value}</code>
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'no'
            ? 'Copy failed: select the text and copy it.'
            : ''}
      </p>
    </section>
  );
}

/** Parses an optional whole number of an input; '' is null, anything else not a whole number is NaN. */
export function optionalInt(value: string): number | null {
  const v = value.trim();
  if (v === '') return null;
  return /^\d+$/.test(v) ? Number(v) : Number.NaN;
}

export function optionalNumber(value: string): number | null {
  const v = value.trim();
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status.replace('_', ' ')}</span>;
}
