import { useQueries, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Link } from 'react-router';

import { get } from '../api/client';
import type { UsageReport } from '../api/types';
import { useUser } from '../auth';
import { Empty, ErrorMessage, formatCost, formatNumber, Loading } from '../components/ui';
import { lastDays } from '../components/usage';
import { UsageTable } from '../components/UsageTable';

const UsageChart = lazy(() => import('../components/UsageChart'));
const ModelTimeChart = lazy(() => import('../components/ModelTimeChart'));

// The chart over time draws a line for each of the busiest models.
const CHART_MODELS = 5;

export default function Dashboard() {
  const user = useUser();
  const [days, setDays] = useState(30);
  const range = lastDays(days);
  const byDay = useQuery({
    queryKey: ['usage', 'me', 'day', range],
    queryFn: () => get<UsageReport>('/usage', { ...range, group_by: 'day' }),
  });
  const byModel = useQuery({
    queryKey: ['usage', 'me', 'model', range],
    queryFn: () => get<UsageReport>('/usage', { ...range, group_by: 'model' }),
  });
  const busiest = [...(byModel.data?.data ?? [])]
    .sort((a, b) => b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens))
    .slice(0, CHART_MODELS)
    .map((r) => r.key ?? '');
  const perModel = useQueries({
    queries: busiest.map((model) => ({
      queryKey: ['usage', 'me', 'day', range, model],
      queryFn: () => get<UsageReport>('/usage', { ...range, group_by: 'day', model }),
    })),
  });
  const perModelReady = perModel.length > 0 && perModel.every((q) => q.data);

  return (
    <>
      <h1>Dashboard</h1>
      <p>
        Signed in as {user.name ? `${user.name} (${user.email})` : user.email}. Your own use of the
        models:
      </p>
      <label className="inline">
        Period
        <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
          <option value={7}>last 7 days</option>
          <option value={30}>last 30 days</option>
          <option value={90}>last 90 days</option>
        </select>
      </label>
      {byDay.isPending ? (
        <Loading what="Loading usage" />
      ) : byDay.error ? (
        <ErrorMessage error={byDay.error} />
      ) : byDay.data.data.length === 0 ? (
        <Empty>
          No usage in this period. Send a message in the <Link to="/playground">playground</Link> or
          create an <Link to="/keys">API key</Link> and call the API.
        </Empty>
      ) : (
        <>
          <dl className="totals">
            <div>
              <dt>Requests</dt>
              <dd>{formatNumber(byDay.data.totals.requests)}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd>
                {formatNumber(byDay.data.totals.input_tokens + byDay.data.totals.output_tokens)}
              </dd>
            </div>
            <div>
              <dt>Cost</dt>
              <dd>{formatCost(byDay.data.totals.cost_usd)}</dd>
            </div>
          </dl>
          <Suspense fallback={<Loading what="Loading the chart" />}>
            <UsageChart
              rows={byDay.data.data}
              kind="time"
              label="Requests, tokens and cost per day"
            />
          </Suspense>
        </>
      )}
      <h2>By model</h2>
      {byModel.isPending ? (
        <Loading what="Loading usage by model" />
      ) : byModel.error ? (
        <ErrorMessage error={byModel.error} />
      ) : byModel.data.data.length === 0 ? (
        <Empty>No model was used in this period.</Empty>
      ) : (
        <>
          <Suspense fallback={<Loading what="Loading the chart" />}>
            {perModelReady && (
              <ModelTimeChart
                series={busiest.map((model, i) => ({ model, days: perModel[i].data!.data }))}
                days={(byDay.data?.data ?? []).map((r) => r.key ?? '')}
              />
            )}
            <UsageChart
              rows={byModel.data.data}
              kind="groups"
              label="Requests, tokens and cost by model"
            />
          </Suspense>
          <UsageTable rows={byModel.data.data} label="Usage by model" keyLabel={(k) => k ?? '—'} />
        </>
      )}
    </>
  );
}
