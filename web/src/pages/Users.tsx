import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';

import { get, post } from '../api/client';
import { PAGE_SIZE, usePaged } from '../api/hooks';
import type { Page, Role, User } from '../api/types';
import { Empty, ErrorMessage, formatDate, Loading, Pager } from '../components/ui';

// The API lists users page by page without a search parameter: a search reads them all, 100 at a time, up to this many.
const SEARCH_LIMIT = 2000;

async function allUsers(): Promise<User[]> {
  const users: User[] = [];
  for (let offset = 0; offset < SEARCH_LIMIT; offset += 100) {
    const page = await get<Page<User>>('/users', { limit: 100, offset, order: 'asc' });
    users.push(...page.data);
    if (offset + 100 >= page.total) break;
  }
  return users;
}

export default function Users() {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [searchOffset, setSearchOffset] = useState(0);
  const paged = usePaged<User>(['users', 'page'], '/users');
  const everyone = useQuery({
    queryKey: ['users', 'all'],
    queryFn: allUsers,
    enabled: search.trim() !== '',
  });
  const [draft, setDraft] = useState({ email: '', password: '', name: '', role: 'user' as Role });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [createdEmail, setCreatedEmail] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: object) => post<User>('/users', body),
    onSuccess: (u) => {
      setCreatedEmail(u.email);
      setDraft({ email: '', password: '', name: '', role: 'user' });
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!/^\S+@\S+\.\S+$/.test(draft.email.trim())) found.email = 'An e-mail address.';
    if (draft.password.length < 8 || draft.password.length > 128)
      found.password = '8 to 128 characters.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setCreatedEmail(null);
    create.mutate({
      email: draft.email.trim(),
      password: draft.password,
      role: draft.role,
      ...(draft.name.trim() ? { name: draft.name.trim() } : {}),
    });
  };
  const invalid = (f: string) =>
    problems[f] ? { 'aria-invalid': true, 'aria-describedby': `user-${f}-problem` } : {};
  const problem = (f: string) =>
    problems[f] ? (
      <small id={`user-${f}-problem`} className="field-error">
        {problems[f]}
      </small>
    ) : null;

  const term = search.trim().toLowerCase();
  let rows: User[] | undefined;
  let total = 0;
  let offset = 0;
  let setOffset = paged.setOffset;
  let error: unknown = paged.error;
  if (term) {
    const matches = everyone.data?.filter(
      (u) => u.email.includes(term) || (u.name ?? '').toLowerCase().includes(term),
    );
    rows = matches?.slice(searchOffset, searchOffset + PAGE_SIZE);
    total = matches?.length ?? 0;
    offset = searchOffset;
    setOffset = setSearchOffset;
    error = everyone.error;
  } else if (paged.data) {
    rows = paged.data.data;
    total = paged.data.total;
    offset = paged.offset;
  }

  return (
    <>
      <h1>Users</h1>
      <details>
        <summary>Create a user</summary>
        <form onSubmit={submit} noValidate aria-label="Create a user">
          <div className="grid">
            <div>
              <label>
                E-mail
                <input
                  type="email"
                  value={draft.email}
                  onChange={(e) => setDraft({ ...draft, email: e.target.value })}
                  {...invalid('email')}
                />
              </label>
              {problem('email')}
            </div>
            <label>
              Name (optional)
              <input
                value={draft.name}
                onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              />
            </label>
          </div>
          <div className="grid">
            <div>
              <label>
                Password
                <input
                  type="password"
                  autoComplete="new-password"
                  value={draft.password}
                  onChange={(e) => setDraft({ ...draft, password: e.target.value })}
                  {...invalid('password')}
                />
              </label>
              {problem('password')}
            </div>
            <label>
              Role
              <select
                value={draft.role}
                onChange={(e) => setDraft({ ...draft, role: e.target.value as Role })}
              >
                <option value="user">user</option>
                <option value="admin">admin</option>
              </select>
            </label>
          </div>
          <ErrorMessage error={create.error} />
          <button type="submit" aria-busy={create.isPending} disabled={create.isPending}>
            Create user
          </button>
        </form>
      </details>
      {createdEmail && <p role="status">Created {createdEmail}.</p>}
      <label>
        Search by e-mail or name
        <input
          type="search"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setSearchOffset(0);
          }}
        />
      </label>
      {error ? (
        <ErrorMessage error={error} />
      ) : rows === undefined ? (
        <Loading what="Loading users" />
      ) : rows.length === 0 ? (
        <Empty>
          {term
            ? 'No user matches: try part of an e-mail address.'
            : 'No users yet: create one above.'}
        </Empty>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Users">
            <table>
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((u) => (
                  <tr key={u.id}>
                    <td>
                      <Link to={`/users/${u.id}`}>{u.email}</Link>
                    </td>
                    <td>{u.name || '—'}</td>
                    <td>{u.role}</td>
                    <td>{u.disabled ? 'disabled' : 'active'}</td>
                    <td>{formatDate(u.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Users"
            total={total}
            limit={PAGE_SIZE}
            offset={offset}
            onChange={setOffset}
          />
        </>
      )}
    </>
  );
}
