import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';

import { ApiError, get, request } from '../api/client';
import type { Delivery, Page, Skill, SkillRun, Webhook } from '../api/types';
import { Empty, ErrorMessage, formatDate, Loading, StatusBadge } from '../components/ui';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of the Prometheus text format that the page shows (comments and other metrics skipped). */
function parseMetrics(text: string, names: string[]): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m || !names.includes(m[1])) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'];
const FAILED_RUN = ['failed', 'timed_out'];

async function failedRuns(): Promise<SkillRun[]> {
  const skills = await get<Page<Skill>>('/skills', { limit: 100 });
  const pages = await Promise.all(
    skills.data.map((s) => get<Page<SkillRun>>(`/skills/${s.name}/runs`, { limit: 50 })),
  );
  return pages
    .flatMap((p) => p.data)
    .filter((r) => FAILED_RUN.includes(r.status))
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, 20);
}

async function failedDeliveries(): Promise<(Delivery & { url: string })[]> {
  const hooks = await get<Page<Webhook>>('/webhooks', { limit: 100 });
  const pages = await Promise.all(
    hooks.data.map(async (h) =>
      (await get<Page<Delivery>>(`/webhooks/${h.id}/deliveries`, { limit: 50 })).data.map((d) => ({
        ...d,
        url: h.url,
      })),
    ),
  );
  return pages
    .flat()
    .filter((d) => d.status === 'failed')
    .slice(0, 20);
}

export default function Health() {
  const [metricsToken, setMetricsToken] = useState<string | undefined>(undefined);
  const [tokenInput, setTokenInput] = useState('');
  const ready = useQuery({
    queryKey: ['health', 'ready'],
    queryFn: async () => {
      try {
        await request('GET', '/health/ready', { root: true });
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 503) return false;
        throw err;
      }
    },
    refetchInterval: 10_000,
  });
  const metrics = useQuery({
    queryKey: ['health', 'metrics', metricsToken],
    queryFn: async () => {
      // /metrics is public unless METRICS_TOKEN is set; the signed-in user's JWT is not that token.
      const res = await request('GET', '/metrics', { root: true, token: metricsToken ?? '' });
      return parseMetrics(await res.text(), [
        'openclaw_queue_jobs',
        'openclaw_skill_runs_total',
        'openclaw_webhook_attempts_total',
      ]);
    },
    refetchInterval: 10_000,
  });
  const runs = useQuery({ queryKey: ['health', 'failed-runs'], queryFn: failedRuns });
  const deliveries = useQuery({
    queryKey: ['health', 'failed-deliveries'],
    queryFn: failedDeliveries,
  });

  const useToken = (e: FormEvent) => {
    e.preventDefault();
    setMetricsToken(tokenInput.trim() || undefined);
  };
  const queues = [
    ...new Set(
      metrics.data?.filter((s) => s.name === 'openclaw_queue_jobs').map((s) => s.labels.queue),
    ),
  ];
  const count = (queue: string, state: string) =>
    metrics.data?.find(
      (s) =>
        s.name === 'openclaw_queue_jobs' && s.labels.queue === queue && s.labels.state === state,
    )?.value ?? 0;
  const totals = (name: string, label: string) =>
    metrics.data
      ?.filter((s) => s.name === name)
      .map((s) => `${s.labels[label]}: ${s.value.toLocaleString()}`) ?? [];
  const needsToken = metrics.error instanceof ApiError && metrics.error.status === 401;

  return (
    <>
      <h1>Queue and delivery health</h1>
      <p role="status">
        Database and Redis:{' '}
        {ready.isPending ? (
          'checking…'
        ) : ready.error ? (
          'unknown'
        ) : ready.data ? (
          <strong>reachable</strong>
        ) : (
          <strong>NOT reachable (503 from /health/ready)</strong>
        )}
      </p>

      <h2>Queues</h2>
      {needsToken ? (
        <form onSubmit={useToken} aria-label="Metrics token">
          <p>
            /metrics is protected by METRICS_TOKEN on this server: enter it to see the queues (kept
            only on this page).
          </p>
          <label>
            METRICS_TOKEN
            <input
              type="password"
              value={tokenInput}
              onChange={(e) => setTokenInput(e.target.value)}
            />
          </label>
          <button type="submit">Show the queues</button>
        </form>
      ) : metrics.isPending ? (
        <Loading what="Reading /metrics" />
      ) : metrics.error ? (
        <ErrorMessage error={metrics.error} />
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Queue depths">
            <table>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  {QUEUE_STATES.map((s) => (
                    <th key={s} scope="col">
                      {s}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {queues.map((q) => (
                  <tr key={q}>
                    <th scope="row">{q}</th>
                    {QUEUE_STATES.map((s) => (
                      <td key={s}>{count(q, s).toLocaleString()}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            Skill runs finished (all workers):{' '}
            {totals('openclaw_skill_runs_total', 'status').join(', ') || 'none yet'}.
          </p>
          <p>
            Webhook attempts (all workers):{' '}
            {totals('openclaw_webhook_attempts_total', 'outcome').join(', ') || 'none yet'}.
          </p>
        </>
      )}

      <h2>Recent failed skill runs</h2>
      {runs.isPending ? (
        <Loading what="Loading runs" />
      ) : runs.error ? (
        <ErrorMessage error={runs.error} />
      ) : runs.data.length === 0 ? (
        <Empty>No failed or timed-out run among the latest 50 of each skill.</Empty>
      ) : (
        <ul>
          {runs.data.map((r) => (
            <li key={r.id}>
              <StatusBadge status={r.status} /> <Link to={`/skills/${r.skill}`}>{r.skill}</Link> ·{' '}
              {formatDate(r.created_at)} · exit {r.exit_code ?? '—'}
              {r.stderr ? ` · ${r.stderr.slice(0, 120)}` : ''}
            </li>
          ))}
        </ul>
      )}

      <h2>Failed deliveries of your webhooks</h2>
      {deliveries.isPending ? (
        <Loading what="Loading deliveries" />
      ) : deliveries.error ? (
        <ErrorMessage error={deliveries.error} />
      ) : deliveries.data.length === 0 ? (
        <Empty>No failed delivery among the latest 50 of each of your webhooks.</Empty>
      ) : (
        <ul>
          {deliveries.data.map((d) => (
            <li key={d.id}>
              <code>{d.event_type}</code> to <Link to={`/webhooks/${d.webhook_id}`}>{d.url}</Link> ·{' '}
              {formatDate(d.created_at)} · {d.attempts.length} attempts
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
