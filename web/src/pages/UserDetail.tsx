import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { del, get, patch } from '../api/client';
import type { Role, UsageReport, User } from '../api/types';
import { useUser } from '../auth';
import { ApiKeyList } from '../components/ApiKeyList';
import {
  describeQuota,
  type QuotaDraft,
  quotaDraft,
  QuotaFields,
  quotaOf,
} from '../components/QuotaFields';
import { Empty, ErrorMessage, formatDate, Loading } from '../components/ui';
import { UsageTable } from '../components/UsageTable';

export default function UserDetail() {
  const { id = '' } = useParams();
  const me = useUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const user = useQuery({ queryKey: ['users', id], queryFn: () => get<User>(`/users/${id}`) });
  const usage = useQuery({
    queryKey: ['usage', { user_id: id, group_by: 'model' }],
    queryFn: () => get<UsageReport>('/usage', { user_id: id, group_by: 'model' }),
  });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [quota, setQuota] = useState<QuotaDraft>(quotaDraft(null));
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (user.data) {
      setName(user.data.name ?? '');
      setRole(user.data.role);
      setQuota(quotaDraft(user.data.quota));
    }
  }, [user.data]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: ['users'] });
  const update = useMutation({
    mutationFn: (body: object) => patch<User>(`/users/${id}`, body),
    onSuccess: () => {
      setSaved(true);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => del(`/users/${id}`),
    onSuccess: () => {
      void refresh();
      void navigate('/users');
    },
  });

  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const q = quotaOf(quota);
    if ('problem' in q) return setProblem(q.problem);
    setProblem(null);
    // Only what changed: each field is a separate decision (and a role change revokes the user's sessions).
    const body: Record<string, unknown> = {};
    const u = user.data!;
    if (name.trim() !== (u.name ?? '')) body.name = name.trim();
    if (role !== u.role) body.role = role;
    if (JSON.stringify(q) !== JSON.stringify(quotaOf(quotaDraft(u.quota)))) body.quota = q.quota;
    if (Object.keys(body).length === 0) return setSaved(true);
    update.mutate(body);
  };

  if (user.isPending) return <Loading what="Loading the user" />;
  if (user.error) return <ErrorMessage error={user.error} />;
  const u = user.data;
  const self = u.id === me.id;
  return (
    <>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <h1 className="break">{u.email}</h1>
      <p>
        {u.role} · {u.disabled ? 'disabled' : 'active'} · created {formatDate(u.created_at)} ·
        quota: {describeQuota(u.quota, 'the default quota')}
      </p>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={update.isPending}
          onClick={() => update.mutate({ disabled: !u.disabled })}
        >
          {u.disabled ? 'Enable' : 'Disable'}
        </button>
        <button
          type="button"
          className="secondary outline"
          disabled={self}
          onClick={() => {
            if (window.confirm(`Delete ${u.email} with their sessions, keys and webhooks?`))
              remove.mutate();
          }}
        >
          Delete
        </button>
      </div>
      <ErrorMessage error={remove.error} />

      <h2>Edit</h2>
      <form onSubmit={save} noValidate aria-label="Edit the user">
        <div className="grid">
          <label>
            Name
            <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
          </label>
        </div>
        <QuotaFields
          legend="Quota (all empty: the default quota of the config)"
          value={quota}
          onChange={setQuota}
          problem={problem}
          idPrefix="user"
        />
        <ErrorMessage error={update.error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit" aria-busy={update.isPending} disabled={update.isPending}>
          Save
        </button>
      </form>

      <h2>Usage in the last 30 days, by model</h2>
      {usage.isPending ? (
        <Loading what="Loading usage" />
      ) : usage.error ? (
        <ErrorMessage error={usage.error} />
      ) : usage.data.data.length === 0 ? (
        <Empty>No usage in the last 30 days.</Empty>
      ) : (
        <UsageTable
          rows={usage.data.data}
          label={`Usage of ${u.email}`}
          keyLabel={(k) => k ?? '—'}
        />
      )}

      <h2>API keys</h2>
      <ApiKeyList userId={u.id} />
    </>
  );
}
