import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';

import { del, get } from '../api/client';
import { usePaged } from '../api/hooks';
import type { Message, Session } from '../api/types';
import { Empty, ErrorMessage, formatDate, Loading, Pager, StatusBadge } from '../components/ui';

function tokensOf(m: Message): string {
  if (m.tokens === null || m.tokens === undefined) return '';
  if (typeof m.tokens === 'number') return `${m.tokens} tokens`;
  return `${m.tokens.input ?? 0} in / ${m.tokens.output ?? 0} out`;
}

export default function SessionMessages() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const session = useQuery({
    queryKey: ['sessions', id],
    queryFn: () => get<Session>(`/sessions/${id}`),
  });
  const messages = usePaged<Message>(['sessions', id, 'messages'], `/sessions/${id}/messages`, {
    order: 'asc',
  });
  const remove = useMutation({
    mutationFn: (messageId: string) => del(`/messages/${messageId}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sessions', id, 'messages'] }),
  });

  if (session.isPending) return <Loading what="Loading the session" />;
  if (session.error) return <ErrorMessage error={session.error} />;
  return (
    <>
      <p>
        <Link to="/sessions">← Sessions</Link>
      </p>
      <h1>{session.data.name || '(unnamed session)'}</h1>
      <p>
        Model: {session.data.model ?? 'the default'} · created {formatDate(session.data.created_at)}
      </p>
      <ErrorMessage error={remove.error} />
      {messages.isPending ? (
        <Loading what="Loading messages" />
      ) : messages.error ? (
        <ErrorMessage error={messages.error} />
      ) : messages.data.total === 0 ? (
        <Empty>
          No messages in this session. Continue it in the playground or through the API.
        </Empty>
      ) : (
        <>
          <ol className="messages">
            {messages.data.data.map((m) => (
              <li key={m.id} className={`message message-${m.role}`}>
                <p className="message-head">
                  <strong>{m.role}</strong> · {formatDate(m.created_at)}{' '}
                  {m.model ? `· ${m.model}` : ''} {tokensOf(m) ? `· ${tokensOf(m)}` : ''}{' '}
                  {m.status === 'incomplete' && <StatusBadge status="incomplete" />}
                </p>
                <p className="message-content">{m.content}</p>
                <button
                  type="button"
                  className="secondary outline small"
                  aria-label={`Delete this ${m.role} message`}
                  onClick={() => {
                    if (window.confirm('Delete this message?')) remove.mutate(m.id);
                  }}
                >
                  Delete
                </button>
              </li>
            ))}
          </ol>
          <Pager
            label="Messages"
            total={messages.data.total}
            limit={messages.limit}
            offset={messages.offset}
            onChange={messages.setOffset}
          />
        </>
      )}
    </>
  );
}
