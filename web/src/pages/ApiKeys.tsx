import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';

import { post } from '../api/client';
import { useModels } from '../api/hooks';
import type { CreatedApiKey } from '../api/types';
import { ApiKeyList } from '../components/ApiKeyList';
import { ErrorMessage, optionalInt, Secret } from '../components/ui';

interface Draft {
  name: string;
  expires: string;
  rate: string;
  tokens: string;
  models: string[];
}

const EMPTY: Draft = { name: '', expires: '', rate: '', tokens: '', models: [] };

function validate(d: Draft): Record<string, string> {
  const problems: Record<string, string> = {};
  if (d.name.trim() === '') problems.name = 'Give the key a name.';
  else if (d.name.length > 100) problems.name = 'At most 100 characters.';
  if (d.expires && new Date(d.expires).getTime() <= Date.now())
    problems.expires = 'The expiry must be in the future.';
  const rate = optionalInt(d.rate);
  if (Number.isNaN(rate) || rate === 0) problems.rate = 'A whole number of at least 1, or empty.';
  const tokens = optionalInt(d.tokens);
  if (Number.isNaN(tokens) || tokens === 0)
    problems.tokens = 'A whole number of at least 1, or empty.';
  return problems;
}

export default function ApiKeys() {
  const queryClient = useQueryClient();
  const models = useModels();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const create = useMutation({
    mutationFn: (body: object) => post<CreatedApiKey>('/api-keys', body),
    onSuccess: (key) => {
      setCreated(key);
      setDraft(EMPTY);
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validate(draft);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const body: Record<string, unknown> = { name: draft.name.trim() };
    if (draft.expires) body.expires_at = new Date(draft.expires).toISOString();
    if (draft.rate) body.rate_limit_per_minute = Number(draft.rate);
    if (draft.tokens) body.tokens_per_day = Number(draft.tokens);
    if (draft.models.length > 0) body.models = draft.models;
    setCreated(null);
    create.mutate(body);
  };

  const field = (name: keyof Draft) => ({
    'aria-invalid': problems[name] ? true : undefined,
    'aria-describedby': problems[name] ? `key-${name}-problem` : undefined,
  });
  const problem = (name: keyof Draft) =>
    problems[name] ? (
      <small id={`key-${name}-problem`} className="field-error">
        {problems[name]}
      </small>
    ) : null;

  return (
    <>
      <h1>API keys</h1>
      <p>
        Keys call the API from your code (<code>Authorization: Bearer oc_…</code>). A key is shown
        once, when it is created.
      </p>
      {created && <Secret label={`New key "${created.name}"`} value={created.key} />}
      <details open={!created}>
        <summary>Create a key</summary>
        <form onSubmit={submit} noValidate aria-label="Create a key">
          <div>
            <label>
              Name
              <input
                value={draft.name}
                maxLength={100}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
                {...field('name')}
              />
            </label>
            {problem('name')}
          </div>
          <div className="grid">
            <div>
              <label>
                Expires (optional)
                <input
                  type="datetime-local"
                  value={draft.expires}
                  onChange={(e) => setDraft({ ...draft, expires: e.target.value })}
                  {...field('expires')}
                />
              </label>
              {problem('expires')}
            </div>
            <div>
              <label>
                Requests per minute (optional)
                <input
                  inputMode="numeric"
                  value={draft.rate}
                  onChange={(e) => setDraft({ ...draft, rate: e.target.value })}
                  {...field('rate')}
                />
              </label>
              {problem('rate')}
            </div>
            <div>
              <label>
                Tokens per day (optional)
                <input
                  inputMode="numeric"
                  value={draft.tokens}
                  onChange={(e) => setDraft({ ...draft, tokens: e.target.value })}
                  {...field('tokens')}
                />
              </label>
              {problem('tokens')}
            </div>
          </div>
          <fieldset>
            <legend>Only these models (none checked: every usable model)</legend>
            {models.data?.data.map((m) => (
              <label key={m.id}>
                <input
                  type="checkbox"
                  checked={draft.models.includes(m.id)}
                  onChange={(e) =>
                    setDraft({
                      ...draft,
                      models: e.target.checked
                        ? [...draft.models, m.id]
                        : draft.models.filter((x) => x !== m.id),
                    })
                  }
                />
                {m.id}
              </label>
            ))}
          </fieldset>
          <ErrorMessage error={create.error} />
          <button type="submit" aria-busy={create.isPending} disabled={create.isPending}>
            Create key
          </button>
        </form>
      </details>
      <h2>Your keys</h2>
      <ApiKeyList />
    </>
  );
}
