import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';

import { del } from '../api/client';
import { usePaged } from '../api/hooks';
import type { Session } from '../api/types';
import { Empty, ErrorMessage, formatDate, Loading, Pager } from '../components/ui';

export default function Sessions() {
  const queryClient = useQueryClient();
  const sessions = usePaged<Session>(['sessions'], '/sessions');
  const remove = useMutation({
    mutationFn: (id: string) => del(`/sessions/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sessions'] }),
  });

  return (
    <>
      <h1>Sessions</h1>
      <p>Your conversations (private: admins see only their own too).</p>
      <ErrorMessage error={remove.error} />
      {sessions.isPending ? (
        <Loading what="Loading sessions" />
      ) : sessions.error ? (
        <ErrorMessage error={sessions.error} />
      ) : sessions.data.total === 0 ? (
        <Empty>
          No sessions yet. Start one in the <Link to="/playground">playground</Link> or with{' '}
          <code>POST /api/v1/chat</code>.
        </Empty>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Sessions">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Model</th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.data.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link to={`/sessions/${s.id}`}>{s.name || '(unnamed)'}</Link>
                    </td>
                    <td>{s.model ?? 'default'}</td>
                    <td>{formatDate(s.updated_at)}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary outline"
                        aria-label={`Delete session ${s.name}`}
                        onClick={() => {
                          if (window.confirm(`Delete the session "${s.name}" and its messages?`))
                            remove.mutate(s.id);
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Sessions"
            total={sessions.data.total}
            limit={sessions.limit}
            offset={sessions.offset}
            onChange={sessions.setOffset}
          />
        </>
      )}
    </>
  );
}
