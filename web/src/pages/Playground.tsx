import { useQueryClient } from '@tanstack/react-query';
import { createParser } from 'eventsource-parser';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';

import { ApiError, request } from '../api/client';
import { useModels } from '../api/hooks';
import { ErrorMessage, Loading } from '../components/ui';

interface Turn {
  id: number;
  message: string;
  model: string;
  reply: string;
  state: 'streaming' | 'complete' | 'stopped' | 'failed';
  tokens?: { input?: number; output?: number };
  error?: unknown;
}

interface StreamError {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

let nextTurn = 1;

export default function Playground() {
  const models = useModels();
  const queryClient = useQueryClient();
  const [model, setModel] = useState('');
  const [message, setMessage] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const abort = useRef<AbortController | null>(null);
  const streaming = turns.some((t) => t.state === 'streaming');

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (!model && models.data?.data.length) setModel(models.data.data[0].id);
  }, [model, models.data]);

  const update = (id: number, change: Partial<Turn>) =>
    setTurns((all) =>
      all.map((t) => (t.id === id ? { ...t, ...change, reply: change.reply ?? t.reply } : t)),
    );
  const append = (id: number, text: string) =>
    setTurns((all) => all.map((t) => (t.id === id ? { ...t, reply: t.reply + text } : t)));

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (message.trim() === '') return setProblem('Write a message first.');
    if (!model) return setProblem('Choose a model.');
    setProblem(null);
    const id = nextTurn++;
    setTurns((all) => [...all, { id, message, model, reply: '', state: 'streaming' }]);
    setMessage('');
    const controller = new AbortController();
    abort.current = controller;
    try {
      const res = await request('POST', '/chat/stream', {
        body: { message, model, ...(sessionId ? { session_id: sessionId } : {}) },
        signal: controller.signal,
      });
      const session = res.headers.get('x-session-id');
      if (session) setSessionId(session);
      let failed: unknown = null;
      const parser = createParser({
        onEvent(event) {
          if (event.data === '[DONE]') return;
          const data = JSON.parse(event.data) as unknown;
          if (event.event === 'usage') {
            update(id, { tokens: (data as { tokens: Turn['tokens'] }).tokens });
          } else if (event.event === 'error') {
            const { error } = data as StreamError;
            failed = new ApiError(200, error.code, error.message, error.details ?? {});
          } else {
            append(id, (data as { text: string }).text);
          }
        },
      });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
      update(id, failed ? { state: 'failed', error: failed } : { state: 'complete' });
    } catch (err) {
      if ((err as Error).name === 'AbortError') update(id, { state: 'stopped' });
      else update(id, { state: 'failed', error: err });
    } finally {
      abort.current = null;
      void queryClient.invalidateQueries({ queryKey: ['sessions'] });
    }
  };

  if (models.isPending) return <Loading what="Loading models" />;
  if (models.error) return <ErrorMessage error={models.error} />;

  return (
    <>
      <h1>Playground</h1>
      <p>
        Chat with any usable model; the reply streams in as it is written. Each conversation is a
        session
        {sessionId ? (
          <>
            {' '}
            (<Link to={`/sessions/${sessionId}`}>this one</Link>)
          </>
        ) : null}
        .
      </p>
      <section aria-label="Conversation" className="conversation" aria-live="polite">
        {turns.length === 0 && (
          <p className="empty">No messages yet: write one below and press Send.</p>
        )}
        {turns.map((t) => (
          <article key={t.id} className="turn" data-state={t.state}>
            <p className="turn-user">
              <strong>You</strong> to <code>{t.model}</code>: {t.message}
            </p>
            <p className="turn-reply" data-testid="reply">
              {t.reply}
              {t.state === 'streaming' && <span aria-hidden="true">▍</span>}
            </p>
            <p className="turn-meta">
              {t.state === 'streaming' && 'Writing…'}
              {t.state === 'stopped' && 'Stopped: the partial reply is stored as incomplete.'}
              {t.state === 'complete' &&
                `Done${t.tokens ? ` — ${t.tokens.input ?? 0} tokens in, ${t.tokens.output ?? 0} out` : ''}.`}
            </p>
            {t.error ? <ErrorMessage error={t.error} /> : null}
          </article>
        ))}
      </section>
      <form onSubmit={send} noValidate aria-label="Send a message">
        <div className="grid">
          <label>
            Model
            <select value={model} onChange={(e) => setModel(e.target.value)}>
              {models.data.data.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id} ({m.provider})
                </option>
              ))}
            </select>
          </label>
          <label>
            Conversation
            <select
              value={sessionId ? 'continue' : 'new'}
              onChange={(e) => {
                if (e.target.value === 'new') {
                  setSessionId(null);
                  setTurns([]);
                }
              }}
            >
              {sessionId && <option value="continue">Continue this session</option>}
              <option value="new">Start a new session</option>
            </select>
          </label>
        </div>
        <div>
          <label>
            Message
            <textarea
              value={message}
              rows={3}
              onChange={(e) => setMessage(e.target.value)}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? 'message-problem' : undefined}
            />
          </label>
          {problem && (
            <small id="message-problem" className="field-error">
              {problem}
            </small>
          )}
        </div>
        <div className="actions">
          <button type="submit" disabled={streaming}>
            Send
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!streaming}
            onClick={() => abort.current?.abort()}
          >
            Stop
          </button>
        </div>
      </form>
    </>
  );
}
