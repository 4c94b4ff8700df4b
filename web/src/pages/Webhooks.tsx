import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';

import { post } from '../api/client';
import { usePaged } from '../api/hooks';
import type { Webhook } from '../api/types';
import { useUser } from '../auth';
import { EventPicker, validUrl } from '../components/EventPicker';
import { Empty, ErrorMessage, formatDate, Loading, Pager, Secret } from '../components/ui';

export default function Webhooks() {
  const user = useUser();
  const queryClient = useQueryClient();
  const hooks = usePaged<Webhook>(['webhooks'], '/webhooks');
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<Webhook | null>(null);
  const create = useMutation({
    mutationFn: (body: object) => post<Webhook>('/webhooks', body),
    onSuccess: (hook) => {
      setCreated(hook);
      setUrl('');
      setDescription('');
      setEvents([]);
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!validUrl(url.trim())) found.url = 'An http:// or https:// address.';
    if (events.length === 0) found.events = 'Check at least one event.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setCreated(null);
    create.mutate({
      url: url.trim(),
      events,
      ...(description.trim() ? { description: description.trim() } : {}),
    });
  };

  return (
    <>
      <h1>Webhooks</h1>
      <p>
        The server POSTs signed events (Standard Webhooks) to your URL; each secret is shown once.
      </p>
      {created?.secret && (
        <Secret label={`Signing secret of ${created.url}`} value={created.secret} />
      )}
      {created && (
        <p>
          <Link to={`/webhooks/${created.id}`}>Open the new webhook</Link> to send a test event.
        </p>
      )}
      <details open={!created}>
        <summary>Create a webhook</summary>
        <form onSubmit={submit} noValidate aria-label="Create a webhook">
          <div>
            <label>
              URL
              <input
                type="url"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                aria-invalid={problems.url ? true : undefined}
                aria-describedby={problems.url ? 'url-problem' : undefined}
              />
            </label>
            {problems.url && (
              <small id="url-problem" className="field-error">
                {problems.url}
              </small>
            )}
          </div>
          <label>
            Description (optional)
            <input
              value={description}
              maxLength={500}
              onChange={(e) => setDescription(e.target.value)}
            />
          </label>
          <EventPicker
            value={events}
            onChange={setEvents}
            admin={user.role === 'admin'}
            invalid={problems.events}
          />
          <ErrorMessage error={create.error} />
          <button type="submit" aria-busy={create.isPending} disabled={create.isPending}>
            Create webhook
          </button>
        </form>
      </details>
      <h2>Your webhooks</h2>
      {hooks.isPending ? (
        <Loading what="Loading webhooks" />
      ) : hooks.error ? (
        <ErrorMessage error={hooks.error} />
      ) : hooks.data.total === 0 ? (
        <Empty>
          No webhooks yet: create one above to be told about your sessions, messages and skill runs.
        </Empty>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Webhooks">
            <table>
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {hooks.data.data.map((h) => (
                  <tr key={h.id}>
                    <td>
                      <Link to={`/webhooks/${h.id}`}>{h.url}</Link>
                    </td>
                    <td>{h.events.join(', ')}</td>
                    <td>{h.active ? 'enabled' : 'disabled'}</td>
                    <td>{formatDate(h.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Webhooks"
            total={hooks.data.total}
            limit={hooks.limit}
            offset={hooks.offset}
            onChange={hooks.setOffset}
          />
        </>
      )}
    </>
  );
}
