import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { del, get, patch, post } from '../api/client';
import { usePaged } from '../api/hooks';
import type { Delivery, TestDelivery, Webhook } from '../api/types';
import { useUser } from '../auth';
import { EventPicker, validUrl } from '../components/EventPicker';
import {
  Empty,
  ErrorMessage,
  formatDate,
  Loading,
  Pager,
  Secret,
  StatusBadge,
} from '../components/ui';

export default function WebhookDetail() {
  const { id = '' } = useParams();
  const user = useUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const hook = useQuery({
    queryKey: ['webhooks', id],
    queryFn: () => get<Webhook>(`/webhooks/${id}`),
  });
  const deliveries = usePaged<Delivery>(
    ['webhooks', id, 'deliveries'],
    `/webhooks/${id}/deliveries`,
  );
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState<string | null>(null);
  useEffect(() => {
    if (hook.data) {
      setUrl(hook.data.url);
      setEvents(hook.data.events);
    }
  }, [hook.data]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: ['webhooks'] });
  const update = useMutation({
    mutationFn: (body: object) => patch<Webhook>(`/webhooks/${id}`, body),
    onSuccess: refresh,
  });
  const test = useMutation({
    mutationFn: () => post<TestDelivery>(`/webhooks/${id}/test`),
    onSuccess: refresh,
  });
  const rotate = useMutation({
    mutationFn: () => post<Webhook>(`/webhooks/${id}/rotate-secret`),
    onSuccess: (h) => setSecret(h.secret ?? null),
  });
  const retry = useMutation({
    mutationFn: (deliveryId: string) =>
      post<Delivery>(`/webhooks/${id}/deliveries/${deliveryId}/retry`),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => del(`/webhooks/${id}`),
    onSuccess: () => {
      void refresh();
      void navigate('/webhooks');
    },
  });

  const save = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!validUrl(url.trim())) found.url = 'An http:// or https:// address.';
    if (events.length === 0) found.events = 'Check at least one event.';
    setProblems(found);
    if (Object.keys(found).length === 0) update.mutate({ url: url.trim(), events });
  };

  if (hook.isPending) return <Loading what="Loading the webhook" />;
  if (hook.error) return <ErrorMessage error={hook.error} />;
  const h = hook.data;
  return (
    <>
      <p>
        <Link to="/webhooks">← Webhooks</Link>
      </p>
      <h1 className="break">{h.url}</h1>
      <p>
        {h.active ? 'Enabled' : 'Disabled'} · created {formatDate(h.created_at)}
        {h.description ? ` · ${h.description}` : ''}
      </p>
      <div className="actions">
        <button
          type="button"
          onClick={() => test.mutate()}
          aria-busy={test.isPending}
          disabled={test.isPending}
        >
          Send a test event
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => update.mutate({ active: !h.active })}
        >
          {h.active ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            if (window.confirm('Rotate the signing secret? Receivers must switch to the new one.'))
              rotate.mutate();
          }}
        >
          Rotate secret
        </button>
        <button
          type="button"
          className="secondary outline"
          onClick={() => {
            if (window.confirm('Delete this webhook?')) remove.mutate();
          }}
        >
          Delete
        </button>
      </div>
      {test.data && (
        <p role="status" className={test.data.success ? 'ok' : 'error'} data-testid="test-result">
          Test delivery {test.data.success ? 'succeeded' : 'failed'}:{' '}
          {test.data.status_code !== null ? `HTTP ${test.data.status_code}` : 'no answer'} in{' '}
          {test.data.duration_ms} ms
          {test.data.error ? ` — ${test.data.error}` : ''}.
        </p>
      )}
      {secret && <Secret label="New signing secret" value={secret} />}
      <ErrorMessage error={test.error ?? rotate.error ?? remove.error} />

      <details>
        <summary>Edit URL and events</summary>
        <form onSubmit={save} noValidate aria-label="Edit the webhook">
          <div>
            <label>
              URL
              <input
                type="url"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                aria-invalid={problems.url ? true : undefined}
                aria-describedby={problems.url ? 'edit-url-problem' : undefined}
              />
            </label>
            {problems.url && (
              <small id="edit-url-problem" className="field-error">
                {problems.url}
              </small>
            )}
          </div>
          <EventPicker
            value={events}
            onChange={setEvents}
            admin={user.role === 'admin'}
            invalid={problems.events}
          />
          <button type="submit" aria-busy={update.isPending} disabled={update.isPending}>
            Save
          </button>
        </form>
      </details>
      <ErrorMessage error={update.error} />

      <h2>Deliveries</h2>
      <ErrorMessage error={retry.error} />
      {deliveries.isPending ? (
        <Loading what="Loading deliveries" />
      ) : deliveries.error ? (
        <ErrorMessage error={deliveries.error} />
      ) : deliveries.data.total === 0 ? (
        <Empty>
          No deliveries yet. Send a test event above, or wait for one of the chosen events.
        </Empty>
      ) : (
        <>
          <ul className="deliveries">
            {deliveries.data.data.map((d) => (
              <li key={d.id}>
                <details>
                  <summary>
                    <StatusBadge status={d.status} /> <code>{d.event_type}</code> ·{' '}
                    {formatDate(d.created_at)} · {d.attempts.length} attempt
                    {d.attempts.length === 1 ? '' : 's'}
                  </summary>
                  {d.next_attempt_at && <p>Next attempt {formatDate(d.next_attempt_at)}.</p>}
                  <div
                    className="table-scroll"
                    tabIndex={0}
                    role="region"
                    aria-label={`Attempts of delivery ${d.id}`}
                  >
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">#</th>
                          <th scope="col">When</th>
                          <th scope="col">Status</th>
                          <th scope="col">Time</th>
                          <th scope="col">Error or answer</th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.attempts.map((a) => (
                          <tr key={a.attempt}>
                            <td>{a.attempt}</td>
                            <td>{formatDate(a.created_at)}</td>
                            <td>{a.status_code ?? '—'}</td>
                            <td>{a.duration_ms} ms</td>
                            <td className="break">{a.error ?? a.response_body ?? ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => retry.mutate(d.id)}
                    disabled={retry.isPending}
                  >
                    Retry this delivery
                  </button>
                </details>
              </li>
            ))}
          </ul>
          <Pager
            label="Deliveries"
            total={deliveries.data.total}
            limit={deliveries.limit}
            offset={deliveries.offset}
            onChange={deliveries.setOffset}
          />
        </>
      )}
    </>
  );
}
