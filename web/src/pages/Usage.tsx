import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState } from 'react';

import { get } from '../api/client';
import { usePaged } from '../api/hooks';
import type { GroupBy, Page, UsageRecord, UsageReport, User } from '../api/types';
import { useUser } from '../auth';
import {
  Empty,
  ErrorMessage,
  formatCost,
  formatDate,
  formatNumber,
  Loading,
  Pager,
  StatusBadge,
} from '../components/ui';
import { lastDays, usageCsv } from '../components/usage';
import { UsageTable } from '../components/UsageTable';

const UsageChart = lazy(() => import('../components/UsageChart'));

const GROUPS: [GroupBy, string][] = [
  ['user', 'user'],
  ['model', 'model'],
  ['api_key', 'API key'],
  ['day', 'day'],
];

export default function Usage() {
  const me = useUser();
  const initial = lastDays(30);
  const [groupBy, setGroupBy] = useState<GroupBy>('user');
  const [from, setFrom] = useState(initial.from);
  const [to, setTo] = useState(initial.to);
  const [userId, setUserId] = useState('');
  const rangeProblem = from && to && from > to ? 'The start is after the end.' : null;
  const query = {
    from,
    to,
    group_by: groupBy,
    user_id: groupBy === 'user' ? undefined : userId || undefined,
  };
  const report = useQuery({
    queryKey: ['usage', 'admin', query],
    queryFn: () => get<UsageReport>('/usage', query),
    enabled: rangeProblem === null,
  });
  const users = useQuery({
    queryKey: ['users', 'first-100'],
    queryFn: () => get<Page<User>>('/users', { limit: 100, order: 'asc' }),
  });
  const records = usePaged<UsageRecord>(
    ['usage', 'records', { from, to, userId }],
    '/usage/records',
    { from, to, user_id: userId || undefined },
  );

  const emails = useMemo(() => new Map(users.data?.data.map((u) => [u.id, u.email])), [users.data]);
  const keyLabel = (key: string | null) => {
    if (groupBy === 'api_key') return key ?? 'JWT (no key)';
    if (groupBy === 'user') return (key && emails.get(key)) ?? key ?? '—';
    return key ?? '—';
  };
  const csvHref = useMemo(() => {
    if (!report.data) return null;
    return URL.createObjectURL(
      new Blob([usageCsv(report.data.data, groupBy, keyLabel)], { type: 'text/csv' }),
    );
  }, [report.data, emails, groupBy]);

  return (
    <>
      <h1>Usage of everyone</h1>
      <p>
        Grouped by user, every user&apos;s calls; by model, key or day, those of the user chosen
        (the API reports one user at a time there).
      </p>
      <form className="filters" aria-label="Usage filters" onSubmit={(e) => e.preventDefault()}>
        <div className="grid">
          <label>
            Group by
            <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
              {GROUPS.map(([g, title]) => (
                <option key={g} value={g}>
                  {title}
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input
              type="date"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              aria-invalid={rangeProblem ? true : undefined}
            />
          </label>
          <label>
            To
            <input
              type="date"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              aria-invalid={rangeProblem ? true : undefined}
            />
          </label>
          <label>
            User
            <select
              value={userId}
              disabled={groupBy === 'user'}
              onChange={(e) => setUserId(e.target.value)}
            >
              <option value="">everyone</option>
              {users.data?.data.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          </label>
        </div>
        {rangeProblem && (
          <p role="alert" className="error">
            {rangeProblem}
          </p>
        )}
      </form>
      {report.isPending && !rangeProblem ? (
        <Loading what="Loading usage" />
      ) : report.error ? (
        <ErrorMessage error={report.error} />
      ) : !report.data ? null : report.data.data.length === 0 ? (
        <Empty>No usage in this period. Widen the dates, or group by user to see everyone.</Empty>
      ) : (
        <>
          <p>
            Totals: {formatNumber(report.data.totals.requests)} requests,{' '}
            {formatNumber(report.data.totals.input_tokens)} input and{' '}
            {formatNumber(report.data.totals.output_tokens)} output tokens,{' '}
            {formatCost(report.data.totals.cost_usd)}.{' '}
            {csvHref && (
              <a href={csvHref} download={`usage-by-${groupBy}-${from}-${to}.csv`}>
                Export CSV
              </a>
            )}
          </p>
          <Suspense fallback={<Loading what="Loading the chart" />}>
            <UsageChart
              rows={report.data.data}
              kind={groupBy === 'day' ? 'time' : 'groups'}
              label={`Usage by ${groupBy}`}
              keyLabel={keyLabel}
            />
          </Suspense>
          <UsageTable rows={report.data.data} label={`Usage by ${groupBy}`} keyLabel={keyLabel} />
        </>
      )}
      <h2>Records of {userId ? (emails.get(userId) ?? userId) : `you (${me.email})`}</h2>
      {records.isPending ? (
        <Loading what="Loading records" />
      ) : records.error ? (
        <ErrorMessage error={records.error} />
      ) : records.data.total === 0 ? (
        <Empty>No calls recorded in this period.</Empty>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Usage records">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">User</th>
                  <th scope="col">Model</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Status</th>
                  <th scope="col">Tokens in/out</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Latency</th>
                </tr>
              </thead>
              <tbody>
                {records.data.data.map((r) => (
                  <tr key={r.id}>
                    <td>{formatDate(r.created_at)}</td>
                    <td>{emails.get(r.user_id) ?? r.user_id}</td>
                    <td>{r.model}</td>
                    <td>
                      <code>{r.endpoint}</code>
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td>
                      {formatNumber(r.input_tokens)} / {formatNumber(r.output_tokens)}
                    </td>
                    <td>{formatCost(r.cost_usd)}</td>
                    <td>{r.latency_ms} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Records"
            total={records.data.total}
            limit={records.limit}
            offset={records.offset}
            onChange={records.setOffset}
          />
        </>
      )}
    </>
  );
}
