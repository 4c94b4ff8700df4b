import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { get, patch, post } from '../api/client';
import type { Skill } from '../api/types';
import { ErrorMessage, Loading } from '../components/ui';

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

interface Draft {
  name: string;
  description: string;
  timeout: string;
  script: string;
}

function validate(d: Draft, creating: boolean): Record<string, string> {
  const p: Record<string, string> = {};
  if (creating && !NAME.test(d.name))
    p.name = 'Lower-case letters, digits, - and _, starting with a letter or digit; at most 64.';
  if (d.script.trim() === '')
    p.script = 'The script is run with /bin/sh -c: write at least one command.';
  if (d.timeout.trim() !== '' && !(/^\d+$/.test(d.timeout.trim()) && Number(d.timeout) >= 1))
    p.timeout = 'A whole number of milliseconds, at least 1, or empty for the default.';
  return p;
}

export default function SkillEditor() {
  const { name } = useParams();
  const creating = name === undefined;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const existing = useQuery({
    queryKey: ['skills', name],
    queryFn: () => get<Skill>(`/skills/${name}`),
    enabled: !creating,
  });
  const [draft, setDraft] = useState<Draft>({ name: '', description: '', timeout: '', script: '' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  useEffect(() => {
    const s = existing.data;
    if (s)
      setDraft({
        name: s.name,
        description: s.description,
        timeout: String(s.timeout_ms),
        script: s.script ?? '',
      });
  }, [existing.data]);

  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      creating ? post<Skill>('/skills', body) : patch<Skill>(`/skills/${name}`, body),
    onSuccess: (s) => {
      void queryClient.invalidateQueries({ queryKey: ['skills'] });
      void navigate(`/skills/${s.name}`);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validate(draft, creating);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const body: Record<string, unknown> = { description: draft.description, script: draft.script };
    if (creating) body.name = draft.name;
    if (draft.timeout.trim() !== '') body.timeout_ms = Number(draft.timeout);
    save.mutate(body);
  };

  const described = (field: string) => ({
    'aria-invalid': problems[field] ? true : undefined,
    'aria-describedby': problems[field] ? `skill-${field}-problem` : undefined,
  });
  const problem = (field: string) =>
    problems[field] ? (
      <small id={`skill-${field}-problem`} className="field-error">
        {problems[field]}
      </small>
    ) : null;

  if (!creating && existing.isPending) return <Loading what="Loading the skill" />;
  if (existing.error) return <ErrorMessage error={existing.error} />;
  return (
    <>
      <p>
        <Link to={creating ? '/skills' : `/skills/${name}`}>← Back</Link>
      </p>
      <h1>{creating ? 'New skill' : `Edit ${name}`}</h1>
      <form onSubmit={submit} noValidate aria-label={creating ? 'New skill' : 'Edit skill'}>
        {creating && (
          <div>
            <label>
              Name
              <input
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
                {...described('name')}
              />
            </label>
            {problem('name')}
          </div>
        )}
        <label>
          Description
          <input
            value={draft.description}
            onChange={(e) => setDraft({ ...draft, description: e.target.value })}
          />
        </label>
        <div>
          <label>
            Timeout in milliseconds (empty: the server's default)
            <input
              inputMode="numeric"
              value={draft.timeout}
              onChange={(e) => setDraft({ ...draft, timeout: e.target.value })}
              {...described('timeout')}
            />
          </label>
          {problem('timeout')}
        </div>
        <div>
          <label>
            Script (run with /bin/sh -c; parameters arrive as $PARAM_NAME and as JSON on stdin)
            <textarea
              className="script-editor"
              spellCheck={false}
              autoCapitalize="off"
              autoCorrect="off"
              rows={14}
              value={draft.script}
              onChange={(e) => setDraft({ ...draft, script: e.target.value })}
              {...described('script')}
            />
          </label>
          {problem('script')}
        </div>
        <ErrorMessage error={save.error} />
        <button type="submit" aria-busy={save.isPending} disabled={save.isPending}>
          {creating ? 'Create skill' : 'Save'}
        </button>
      </form>
    </>
  );
}
